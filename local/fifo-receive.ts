/**
 * fauxqs (1.9) returns at most one message of a FIFO message group per ReceiveMessage. SQS returns as many of one
 * group as it can ("When you receive messages from a FIFO queue with multiple message group IDs, Amazon SQS first
 * attempts to return as many messages with the same message group ID as possible", SQS Developer Guide, FIFO queue
 * delivery logic), and the delivery function relies on that: a batch carries a channel's later messages, which it
 * hands back for the channel's interval as soon as it takes up the first, so a busy channel costs one visit per post.
 * Without it every post costs a second visit locally, and the local figures would not say what AWS does.
 *
 * This makes the emulator's FIFO queues behave as SQS does here, on the queue objects of one emulator only:
 * - a receive takes as many of one group's available messages as it can, in order, then the next group's, up to the
 *   batch size; groups with a message in flight are skipped;
 * - a group stays blocked while any of its messages is in flight (fauxqs already counts them);
 * - messages made visible again (visibility 0, or a visibility timeout running out) go back into the group in their
 *   sequence order, not in the order they were returned (fauxqs puts each at the front, which reverses several).
 *
 * Depends on fauxqs's internals (pinned exactly in package.json); test/integration/fifo-receive.test.ts holds the
 * emulator to SQS's behaviour, so an upgrade that changes them fails there.
 */

interface FauxqsMessage {
  sequenceNumber?: string;
  messageGroupId?: string;
}

interface FauxqsFifoQueue {
  isFifo(): boolean;
  fifoMessages: Map<string, FauxqsMessage[]>;
  fifoLockedGroups: Map<string, number>;
  inflightMessages: Map<string, { message: FauxqsMessage; visibilityDeadline: number }>;
  dequeueFifo(maxCount: number, visibilityTimeoutOverride?: number, dlqResolver?: unknown): unknown[];
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void;
  processTimers(): void;
}

interface FauxqsSqsStore {
  createQueue(...args: unknown[]): unknown;
}

/** fauxqs's sequence numbers are zero-padded to 20 digits: as strings they sort as the numbers do. */
const bySequence = (a: FauxqsMessage, b: FauxqsMessage) =>
  (a.sequenceNumber ?? "").localeCompare(b.sequenceNumber ?? "");

const groupOf = (m: FauxqsMessage) => m.messageGroupId ?? "__default";

function patchQueue(queue: FauxqsFifoQueue): void {
  const dequeueOne = queue.dequeueFifo.bind(queue);
  const changeVisibility = queue.changeVisibility.bind(queue);
  const processTimers = queue.processTimers.bind(queue);
  const sortGroups = (groups: Iterable<string>) => {
    for (const g of groups) queue.fifoMessages.get(g)?.sort(bySequence);
  };

  // The groups of the messages a step makes visible again go back in sequence order.
  queue.processTimers = () => {
    // Those fauxqs will find expired, and a margin over: sorting a group that is in order already is harmless.
    const soon = Date.now() + 50;
    const due = new Set<string>();
    for (const e of queue.inflightMessages.values()) if (e.visibilityDeadline <= soon) due.add(groupOf(e.message));
    processTimers();
    sortGroups(due);
  };
  queue.changeVisibility = (receiptHandle, timeoutSeconds) => {
    const entry = timeoutSeconds === 0 ? queue.inflightMessages.get(receiptHandle) : undefined;
    changeVisibility(receiptHandle, timeoutSeconds);
    if (entry) sortGroups([groupOf(entry.message)]);
  };
  // As SQS: as many of one group as possible, then the next group. fauxqs takes one message of each unlocked group
  // per call, so each call here sees only the group being filled: the other available groups are marked locked for
  // that call and unmarked after it. The visibility timers run once, before the receive (fauxqs runs them in every
  // call, which would hand a message taken moments ago with visibility 0 straight back into the same receive), and
  // the lock counts of the groups taken from are counted again from the messages in flight at the end.
  queue.dequeueFifo = (maxCount, visibilityTimeoutOverride, dlqResolver) => {
    const wanted = Math.min(maxCount, 10);
    const locks = queue.fifoLockedGroups;
    const received: unknown[] = [];
    queue.processTimers();
    const available = [...queue.fifoMessages.keys()].filter((g) => !locks.has(g));
    const timers = queue.processTimers;
    queue.processTimers = () => {};
    try {
      for (const group of available) {
        while (received.length < wanted) {
          const others = [...queue.fifoMessages.keys()].filter((g) => g !== group && !locks.has(g));
          for (const g of others) locks.set(g, 1);
          locks.delete(group);
          try {
            const one = dequeueOne(1, visibilityTimeoutOverride, dlqResolver);
            if (!one.length) break;
            received.push(...one);
          } finally {
            for (const g of others) locks.delete(g);
          }
        }
        if (received.length >= wanted) break;
      }
    } finally {
      queue.processTimers = timers;
      const inFlight = new Map<string, number>();
      for (const { message } of queue.inflightMessages.values())
        inFlight.set(groupOf(message), (inFlight.get(groupOf(message)) ?? 0) + 1);
      for (const group of available) {
        const count = inFlight.get(group);
        if (count) locks.set(group, count);
        else locks.delete(group);
      }
    }
    return received;
  };
}

/** Wraps a fauxqs SqsStore so that every FIFO queue it creates from now on receives as SQS does (see above). */
export function withSqsFifoReceive<S extends object>(store: S): S {
  const s = store as unknown as FauxqsSqsStore;
  const createQueue = s.createQueue.bind(s);
  s.createQueue = (...args: unknown[]) => {
    const queue = createQueue(...args) as FauxqsFifoQueue;
    if (queue.isFifo()) patchQueue(queue);
    return queue;
  };
  return store;
}
