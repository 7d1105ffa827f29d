import { LocationProvider, Route, Router } from 'preact-iso';
import { ForgotPasswordPage } from './auth/ForgotPasswordPage';
import { InvitePage } from './auth/InvitePage';
import { LoginPage } from './auth/LoginPage';
import { MagicLinkPage } from './auth/MagicLinkPage';
import { ResetPasswordPage } from './auth/ResetPasswordPage';
import { AuthedApp } from './shell/AuthedApp';

// Routes stay thin: public sign-in pages here, everything else is the signed-in shell,
// which has its own table (shell/routes.tsx) and its own 404.
export function App() {
  return (
    <LocationProvider>
      <Router>
        <Route path="/login" component={LoginPage} />
        <Route path="/login/magic" component={MagicLinkPage} />
        <Route path="/forgot-password" component={ForgotPasswordPage} />
        <Route path="/reset-password" component={ResetPasswordPage} />
        <Route path="/invite" component={InvitePage} />
        <Route default component={AuthedApp} />
      </Router>
    </LocationProvider>
  );
}
