import { render } from 'preact';
import { App } from './App';
import { session } from './auth/session';
import './styles.css';

// Resolve "who am I" once at start-up when a session was kept from an earlier visit.
void session.load();

const root = document.getElementById('app');
if (root) render(<App />, root);
