/** The customer portal's entry point (served at /account/ under a strict CSP: no inline code). */
import { render } from 'preact';
import { App } from './App';
import '../shared/portal.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
