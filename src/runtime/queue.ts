// Program order for everything that goes to the GPU queue.
//
// A read (`t.data()`), a realisation, a compiled step (`plan.run()`), an assign or a checkpoint read
// is recorded synchronously, where the program issues it, but some of them must wait before they
// can be submitted (pipelines compile asynchronously). Submitting whichever is ready first would let
// a later step overwrite the weights an earlier read was meant to see, or let a second read of a
// tensor copy it out before the commands that compute it ran. So every submission takes a ticket
// when it is issued and the queue submits them strictly in ticket order:
//
//   issue      take a ticket (program order); start any asynchronous preparation at once
//   submit     when every earlier ticket has been submitted and this one's preparation is done,
//              run `submit` (encode + queue.submit, synchronous); then retire the ticket
//
// A submission that nothing is waiting before, and that needs no preparation, is submitted at once,
// inside the call that issued it (a steady-state plan.run() never defers).
// The pool stamps released buffers with the newest ticket (src/memory/pool.ts), so a buffer that a
// waiting submission binds is never handed out again before that submission has gone.

import { deviceGeneration, onDispose } from '../gpu/device.js';
import { retireTicket, takeTicket, ticketsPending } from '../memory/pool.js';
import { sgError } from '../util/errors.js';

let tail: Promise<void> = Promise.resolve();

onDispose(() => {
  tail = Promise.resolve();
});

/** A submission in the queue: later submissions that use what it computes check it did not fail. */
export class Submission {
  error?: Error;
  done = false;
  constructor(readonly ticket: number) {}
}

/**
 * Submit in program order. `ready` (optional) is preparation started by the caller; `submit` runs
 * with its value when it and every earlier submission are done. The result is `submit`'s value; if
 * `ready` or `submit` throws, the promise rejects and the queue goes on with the next submission.
 * When nothing is waiting and there is no preparation, `submit` runs before this returns.
 */
export function submitInOrder<T, P = undefined>(submit: (prepared: P | undefined) => T, ready?: Promise<P>): { submission: Submission; result: Promise<T> } {
  const generation = deviceGeneration();
  const submission = new Submission(takeTicket());
  const finish = (error?: unknown) => {
    submission.done = true;
    if (error !== undefined) submission.error = error instanceof Error ? error : new Error(String(error));
    if (generation === deviceGeneration()) retireTicket();
  };
  if (!ready && ticketsPending() === 1) {
    // Nothing earlier is waiting: submit now.
    try {
      const value = submit(undefined);
      finish();
      return { submission, result: Promise.resolve(value) };
    } catch (e) {
      finish(e);
      return { submission, result: Promise.reject(e) };
    }
  }
  const result = tail.then(() => ready).then(
    (prepared) => {
      try {
        if (generation !== deviceGeneration()) {
          throw sgError('this work was issued on a GPU device that was lost or disposed before it could be submitted');
        }
        const value = submit(prepared);
        finish();
        return value;
      } catch (e) {
        finish(e);
        throw e;
      }
    },
    (e) => {
      finish(e);
      throw e;
    },
  );
  tail = result.then(() => undefined, () => undefined);
  return { submission, result };
}

/** Resolves once every submission issued so far has been submitted (or failed). */
export function queueIdle(): Promise<void> {
  return tail;
}

/** Whether submissions are waiting (a caller that must stay synchronous copies its inputs then). */
export function queueBusy(): boolean {
  return ticketsPending() > 0;
}
