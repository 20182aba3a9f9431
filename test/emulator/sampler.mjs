// Resource figures of a runtime process, read from Linux's /proc for tests and benches: its peak
// resident memory and its open TCP connections to one port (a Temporal server's, say). Both cover
// the process's descendants too, in case a runtime spawns helpers.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** The contents of a /proc file, or undefined once the process is gone (it may exit while read). */
function readProc(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it, from the parent pid (field 4) of each /proc/<pid>/stat. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // The command name (field 2) is in parentheses and may hold spaces: read after its last ')'.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(Number(entry));
  }
  const tree = [];
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** A process's peak resident set (VmHWM) in kB, 0 when it is gone. */
function peakRssKb(pid) {
  const match = readProc(`/proc/${pid}/status`)?.match(/^VmHWM:\s+(\d+) kB$/m);
  return match ? Number(match[1]) : 0;
}

/** The inodes of a process's sockets: its /proc/<pid>/fd links read `socket:[inode]`. */
function socketInodes(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (match) inodes.add(match[1]);
    } catch {
      // closed while listed
    }
  }
  return inodes;
}

/**
 * The TCP connections of `pid` whose remote port is `serverPort` (any remote port when undefined),
 * by matching its socket inodes with the rows of its network namespace's tcp and tcp6 tables.
 */
function tcpConnections(pid, inodes, serverPort) {
  let count = 0;
  for (const table of ['tcp', 'tcp6']) {
    const rows = readProc(`/proc/${pid}/net/${table}`)?.split('\n').slice(1) ?? [];
    for (const row of rows) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = row.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9])) continue;
      const remotePort = parseInt(fields[2].split(':')[1], 16);
      if (remotePort === 0) continue; // a listening socket has no remote end
      if (serverPort === undefined || remotePort === serverPort) count += 1;
    }
  }
  return count;
}

/**
 * `{ rssPeakMb, connections }` of process `pid` and its descendants: the sum of their peak RSS (an
 * upper bound of their joint peak) and their open TCP connections to `serverPort`.
 */
export function sampleProcess(pid, { serverPort } = {}) {
  const tree = processTree(pid);
  const rssPeakKb = tree.reduce((sum, each) => sum + peakRssKb(each), 0);
  const connections = tree.reduce((sum, each) => sum + tcpConnections(each, socketInodes(each), serverPort), 0);
  return { rssPeakMb: +(rssPeakKb / 1024).toFixed(1), connections };
}
