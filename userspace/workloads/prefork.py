#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A small preforking server, to watch what its workers copy after fork.

The parent preloads a large object graph (a list of records: dicts holding
lists, ints and strings, the shape of an application's preloaded state),
optionally calls gc.freeze(), and forks N workers.  Each worker runs a
request loop: every request names a slice of the records, which the
worker reads (reference counting writes into every object it passes:
Py_INCREF/Py_DECREF), and at the end one gc.collect(): a full collection
writes into the GC header of every tracked object it traverses, that is
of every dict and list of the graph, unless gc.freeze() moved them into
the permanent generation before the fork, which no collection traverses.

How the graph is made, the same with and without --freeze: gc.disable()
while it is built (as a preloading server does it), then one gc.collect()
so that the graph sits in the oldest generation like the long-lived state
of a running application, gc.enable(), then gc.freeze() with --freeze,
then the fork.  So the two runs differ by the one call.  The parent only
dispatches requests after the fork: it never reads the graph.

Only the standard library.  Driven through stdin and stdout, so that a
test (tests/guest/prefork.sh) or a person can read each worker's state at
three moments while all the workers wait:

  built pid=P mib=M records=R tracked=T frozen=F secs=S
  ready worker=I pid=P                      (one per worker, then waits)
    < a line on stdin: the workers serve their requests
  served worker=I pid=P requests=N records=K (one per worker, then waits)
    < a line on stdin: each worker runs gc.collect()
  done worker=I pid=P collected=C gc_secs=S collections=G0,G1,G2
    < a line on stdin: the workers and the parent exit
  exit

"collections" counts the collections of each generation the worker made
from its gc.enable() to its end (gc.callbacks), the explicit one included.
At "ready" a worker has only forked; "served" is after its request loop;
"done" after its gc.collect().  Each line is flushed as it is printed.
The parent exits 0 when every worker exited 0.

Usage: prefork.py [--mib MIB] [--workers N] [--requests N] [--share F]
                  [--freeze] [--seed N]
  python3 /usr/share/cowlab/prefork.py --mib 100 --workers 3 --freeze

Each worker's --requests (16) read slices of len(records) * F / N
consecutive records at random places (the same with the same --seed), so
that they read about a share F (0.1) of the records, overlaps aside.
"""
import argparse
import gc
import os
import random
import socket
import sys
import time


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def record(i):
    """One record: a tracked dict holding two tracked lists, an untracked
    dict, heap ints and strings."""
    return {
        'id': 100000 + i,
        'name': 'user-%d' % i,
        'tags': ['t%d' % (i % 97), 'g%d' % (i % 13)],
        'scores': [i * 3, i * 5 + 1, i * 7 + 2],
        'meta': {'n': i * 11, 'ok': True},
    }


def build(mib):
    """Records until this process's RSS has grown by @mib MiB."""
    graph = []
    base = rss_bytes()
    want = mib << 20
    while True:
        n = len(graph)
        graph.extend(record(i) for i in range(n, n + 4096))
        if rss_bytes() - base >= want:
            return graph, rss_bytes() - base


def send(sock, line):
    sock.sendall((line + '\n').encode())


class Lines:
    """Lines read from a stream socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b''

    def get(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError('peer closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode()


def worker(index, sock, graph):
    """The request loop of worker @index: answers the parent on @sock."""
    counts = [0, 0, 0]

    def count(phase, info):
        if phase == 'start':
            counts[info['generation']] += 1

    gc.enable()
    gc.callbacks.append(count)
    lines = Lines(sock)
    pid = os.getpid()
    send(sock, 'ready worker=%d pid=%d' % (index, pid))
    requests = records = 0
    while True:
        cmd = lines.get().split()
        if cmd[0] == 'touch':
            start, end = int(cmd[1]), int(cmd[2])
            total = 0
            for r in graph[start:end]:
                total += r['id'] + len(r['tags']) + r['scores'][0]
            requests += 1
            records += end - start
            send(sock, 'ok %d' % total)
        elif cmd[0] == 'served':
            send(sock, 'served worker=%d pid=%d requests=%d records=%d' %
                 (index, pid, requests, records))
        elif cmd[0] == 'gc':
            t0 = time.monotonic()
            collected = gc.collect()
            secs = time.monotonic() - t0
            send(sock, 'done worker=%d pid=%d collected=%d gc_secs=%.2f '
                 'collections=%d,%d,%d' % ((index, pid, collected, secs) +
                                           tuple(counts)))
        elif cmd[0] == 'exit':
            return 0


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n', 1)[0],
        epilog='See the module docstring (and docs/workloads.md).')
    ap.add_argument('--mib', type=int, default=100,
                    help='size of the graph: RSS growth while building')
    ap.add_argument('--workers', type=int, default=3)
    ap.add_argument('--requests', type=int, default=16,
                    help='requests per worker')
    ap.add_argument('--share', type=float, default=0.1,
                    help="share of the records a worker's requests read")
    ap.add_argument('--freeze', action='store_true',
                    help='gc.freeze() before the fork')
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()

    gc.disable()
    t0 = time.monotonic()
    graph, grown = build(args.mib)
    gc.collect()
    gc.enable()
    secs = time.monotonic() - t0
    tracked = len(gc.get_objects())
    if args.freeze:
        gc.freeze()
    print('built pid=%d mib=%d records=%d tracked=%d frozen=%d secs=%.1f' %
          (os.getpid(), grown >> 20, len(graph), tracked,
           gc.get_freeze_count(), secs), flush=True)

    # Every worker's requests, drawn before the fork: the same in every
    # run with the same seed, --freeze or not.
    rng = random.Random(args.seed)
    size = max(1, int(len(graph) * args.share / args.requests))
    plans = [[rng.randrange(0, len(graph) - size)
              for _ in range(args.requests)] for _ in range(args.workers)]
    workers = []
    for i in range(args.workers):
        mine, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            mine.close()
            for _, _, s in workers:
                s.sock.close()
            status = 1
            try:
                status = worker(i, theirs, graph)
            finally:
                os._exit(status)
        theirs.close()
        workers.append((i, pid, Lines(mine)))

    def each(line=None):
        """Send @line to every worker, then print each one's answer."""
        for _, _, w in workers:
            if line:
                send(w.sock, line)
        for _, _, w in workers:
            print(w.get(), flush=True)

    each()                                  # ready
    sys.stdin.readline()
    for n in range(args.requests):
        for i, _, w in workers:
            start = plans[i][n]
            send(w.sock, 'touch %d %d' % (start, start + size))
        for _, _, w in workers:
            reply = w.get()
            if not reply.startswith('ok '):
                raise SystemExit('bad reply %r' % reply)
    each('served')
    sys.stdin.readline()
    each('gc')
    sys.stdin.readline()
    status = 0
    for _, pid, w in workers:
        send(w.sock, 'exit')
        _, st = os.waitpid(pid, 0)
        if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
            status = 1
    print('exit', flush=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
