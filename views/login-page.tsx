import { Layout } from './layout.js';

export function LoginPage(props: { simulator: boolean; error?: string | undefined }) {
  return (
    <Layout title="Log in" section="login" simulator={props.simulator}>
      <form class="login" method="post" action="/admin/login">
        <h1>Operator login</h1>
        {props.error !== undefined && (
          <p class="flash flash-error" role="alert">
            {props.error}
          </p>
        )}
        <label class="field">
          <span>Admin password</span>
          <input type="password" name="password" autocomplete="current-password" required autofocus />
        </label>
        <button type="submit" class="button primary">
          Log in
        </button>
      </form>
    </Layout>
  );
}
