import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../http/errors.js';
import { validate } from '../http/validation.js';
import { requestRedelivery } from '../notifications/app-notifications.js';
import { NotificationRowView, NotificationsPage } from '../../views/notifications-page.js';
import type { AdminDeps } from './admin-deps.js';
import type { AdminEnv } from './admin-guards.js';
import { UnavailableError } from './item-action-routes.js';
import { findNotification, recentNotifications } from './notification-query.js';

const idParam = z.object({ id: z.uuid() });

export function notificationRoutes(deps: AdminDeps) {
  const enabled = deps.config.appWebhook !== undefined;
  return new Hono<AdminEnv>()
    .get('/notifications', async (c) => {
      const rows = await recentNotifications(deps.sql);
      return c.html(<NotificationsPage rows={rows} enabled={enabled} csrfToken={c.get('session').csrfToken} simulator={deps.config.plaid.env === 'simulator'} received={deps.appReceiver?.notices} />);
    })
    .post('/notifications/:id/redeliver', validate('param', idParam), async (c) => {
      if (!enabled) throw new UnavailableError('Notification redelivery');
      const { id } = c.req.valid('param');
      if (!(await requestRedelivery(deps.sql, id))) throw new NotFoundError('notification');
      const row = await findNotification(deps.sql, id);
      if (!row) throw new NotFoundError('notification');
      return c.html(<NotificationRowView row={row} enabled={enabled} flash="Redelivery queued." />);
    });
}
