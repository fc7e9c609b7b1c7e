import { expect } from 'vitest';
import { NotificationError } from '../../src/notify/errors.js';

/** The NotificationError a send rejects with (the test fails if it resolves or throws anything else). */
export async function notificationError(sending: Promise<unknown>): Promise<NotificationError> {
  const err = await sending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotificationError);
  return err as NotificationError;
}
