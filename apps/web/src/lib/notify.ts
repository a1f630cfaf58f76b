import { notifications } from '@mantine/notifications';
import { describeError } from './describe-error';

/** A short confirmation that something worked: "Project renamed". */
export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', message, ...(title === undefined ? {} : { title }) });
}

/**
 * An error where there is no form or dialog to show it in (a one-click action). Forms and
 * dialogs show theirs inline with ErrorAlert instead.
 */
export function notifyError(error: unknown, title?: string): void {
  const { title: ownTitle, detail } = describeError(error);
  notifications.show({ color: 'red', title: title ?? ownTitle, message: detail, autoClose: 8000 });
}
