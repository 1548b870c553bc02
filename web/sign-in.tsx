// Shown when the API answers 401: the API key or a Supabase access token, kept for this tab.
import { useState } from 'react';

export function SignIn(props: { problem: string | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <form
      aria-label="sign in"
      className="sign-in"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) props.onToken(token.trim());
      }}
    >
      <h1>render-jobs</h1>
      <p>This API needs you to sign in. The key or token is kept for this tab only and sent as a Bearer token.</p>
      <label>
        API key or access token <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit">Sign in</button>
      {props.problem && (
        <p className="error" role="alert">
          {props.problem}
        </p>
      )}
    </form>
  );
}
