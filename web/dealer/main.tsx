/** The dealer desk's entry point (served at /dealer/ under the portals' strict CSP: no inline code). */
import { render } from 'preact';
import { DealerDesk } from './DealerDesk';
import '../shared/portal.css';
import './desk.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<DealerDesk />, root);
}
