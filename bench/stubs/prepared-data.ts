// Every answer the stubs can give, serialised once before any load: the demo's seeded data
// (src/demo/data.ts), as JSON fragments. Answering a request is then a lookup and a join of
// ready-made Buffers: no JSON.stringify, no record objects, no parsing per request.
//
// Users 1…1000 are the demo's users, byte for byte. User n > 1000 copies demo user
// templateOf(n) (bench/users.ts): its own user record (id, email, role USER) and the template's
// orders and notifications with its own `userId`. An order or a notification is stored once per
// template as two fragments around its userId, which is spliced in per answer (one small Buffer),
// so 100,000 users cost megabytes, not the ~600 MB that serialising each user's lists would.
// Order and notification ids repeat across copies: the contract looks them up only by user id, so
// no cache keyed by them can serve one user's call with another's answer.
import { createDemoData, type DemoNotification, type DemoOrder, type DemoUser } from '../../src/demo/data.js';
import { templateCount, templateOf, userNumber } from '../users.js';

/** One record of a per-user list, split around its userId value. */
interface Spliced {
  /** JSON up to the userId value's first character (`{"id":"o5","userId":"`). */
  head: Buffer;
  /** JSON after the userId value's last character (`","status":…}`). */
  tail: Buffer;
}

interface Template {
  /** Newest first, as the services answer. */
  orders: Spliced[];
  notifications: Spliced[];
  unread: Spliced[];
}

/** The pieces of a JSON body, joined only when written. */
export interface Body {
  pieces: Buffer[];
  length: number;
}

export interface PreparedData {
  /** How many users have data (u1…u<userCount>). */
  userCount: number;
  /** `[` … `]` of the users with these ids (unknown ids are absent, as the contract says). */
  users(ids: readonly string[]): Body;
  /** At most `limit` orders per user, newest first. */
  orders(userIds: readonly string[], limit: number): Body;
  /** At most `limit` notifications per user, newest first; only unread ones when asked. */
  notifications(userIds: readonly string[], unreadOnly: boolean, limit: number): Body;
  products(ids: readonly string[]): Body;
}

const open = Buffer.from('[');
const close = Buffer.from(']');
const comma = Buffer.from(',');
// A userId no demo record has, to find where the value sits in a serialised record.
const marker = '\u0001userId\u0001';
const markerJson = JSON.stringify(marker).slice(1, -1);

function splice(record: DemoOrder | DemoNotification): Spliced {
  const json = JSON.stringify({ ...record, userId: marker });
  const at = json.indexOf(markerJson);
  if (at < 0 || json.indexOf(markerJson, at + 1) >= 0) throw new Error(`cannot splice ${record.id}`);
  return { head: Buffer.from(json.slice(0, at)), tail: Buffer.from(json.slice(at + markerJson.length)) };
}

/** Builds every fragment for users u1…u<userCount> (seconds at most, once per stub process). */
export function prepareData(userCount: number): PreparedData {
  const demo = createDemoData();
  if (demo.users.size !== templateCount) {
    throw new Error(`the demo seeds ${demo.users.size} users; bench/users.ts expects ${templateCount}`);
  }
  const templates: Template[] = [];
  const demoUsers: DemoUser[] = [];
  for (const [userId, user] of demo.users) {
    const n = userNumber(userId)!;
    demoUsers[n] = user;
    const notifications = (demo.notificationsByUser.get(userId) ?? []).map(splice);
    const all = demo.notificationsByUser.get(userId) ?? [];
    templates[n] = {
      orders: (demo.ordersByUser.get(userId) ?? []).map(splice),
      notifications,
      unread: notifications.filter((_, i) => !all[i]!.read),
    };
  }
  // The whole record per user, and its id as a Buffer for splicing (a view into the record).
  const userRecords: Buffer[] = [];
  const userIds: Buffer[] = [];
  for (let n = 1; n <= userCount; n++) {
    const template = demoUsers[templateOf(n)]!;
    const record =
      n <= templateCount
        ? template
        : {
            ...template,
            id: `u${n}`,
            email: template.email.replace(/\d+@/, `${n}@`),
            role: 'USER' as const,
          };
    const json = Buffer.from(JSON.stringify(record));
    const idStart = json.indexOf('"id":"') + 6;
    userRecords[n] = json;
    userIds[n] = json.subarray(idStart, idStart + record.id.length);
  }
  const products = new Map<string, Buffer>();
  for (const [id, product] of demo.products) products.set(id, Buffer.from(JSON.stringify(product)));

  const known = (id: string) => {
    const n = userNumber(id);
    return n !== undefined && n <= userCount ? n : undefined;
  };

  /** Joins per-user fragment lists: `[a,b,c]`. */
  function perUser(userIds_: readonly string[], pick: (t: Template) => Spliced[], limit: number): Body {
    const pieces: Buffer[] = [open];
    let length = 2;
    let first = true;
    for (const id of userIds_) {
      const n = known(id);
      if (n === undefined) continue;
      const list = pick(templates[templateOf(n)]!);
      const uid = userIds[n]!;
      for (let i = 0; i < list.length && i < limit; i++) {
        const { head, tail } = list[i]!;
        if (!first) {
          pieces.push(comma);
          length++;
        }
        first = false;
        pieces.push(head, uid, tail);
        length += head.length + uid.length + tail.length;
      }
    }
    pieces.push(close);
    return { pieces, length };
  }

  /** Joins whole records: `[a,b]`. */
  function records(ids: readonly string[], lookup: (id: string) => Buffer | undefined): Body {
    const pieces: Buffer[] = [open];
    let length = 2;
    for (const id of ids) {
      const record = lookup(id);
      if (record === undefined) continue;
      if (pieces.length > 1) {
        pieces.push(comma);
        length++;
      }
      pieces.push(record);
      length += record.length;
    }
    pieces.push(close);
    return { pieces, length };
  }

  return {
    userCount,
    users: (ids) =>
      records(ids, (id) => {
        const n = known(id);
        return n === undefined ? undefined : userRecords[n];
      }),
    orders: (ids, limit) => perUser(ids, (t) => t.orders, limit),
    notifications: (ids, unreadOnly, limit) =>
      perUser(ids, unreadOnly ? (t) => t.unread : (t) => t.notifications, limit),
    products: (ids) => records(ids, (id) => products.get(id)),
  };
}
