import { Layout } from './layout.js';

export function ErrorPage(props: { status: number; message: string; csrfToken?: string | undefined; simulator: boolean; requestId?: string | undefined }) {
  return (
    <Layout title={`Error ${props.status}`} section="items" csrfToken={props.csrfToken} simulator={props.simulator}>
      <section class="panel error-panel">
        <h1>{props.status === 404 ? 'Not found' : 'Something went wrong'}</h1>
        <p>{props.message}</p>
        {props.requestId !== undefined && <p class="muted mono">request {props.requestId}</p>}
        <p>
          <a href="/admin/items">Back to items</a>
        </p>
      </section>
    </Layout>
  );
}
