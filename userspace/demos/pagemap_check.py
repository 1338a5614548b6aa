#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a demo's '# expect' lines against the running kernel, without cowlab.

Runs DEMO [ARGS...] --wait and, at every '# waiting', reads for each
'# expect' line of that step /proc/PID/pagemap over the region and, per
resident page, /proc/kpagecount (mapcount) and /proc/kpageflags (zero page):

  resident, shared (mapcount > 1), exclusive, zero   checked exactly
  cow_copy: pages whose PFN changed from a real page since the last step
  cow_zero: pages whose PFN changed from the zero page to a real page
  thp_zero: (--huge lines) 2 MiB blocks that went from the huge zero page
            to one new THP (512 contiguous PFNs, KPF_THP): not cow_zero
  copied:   exclusive pages obtained by such a change and still mapped
  wp_reuse: not visible in pagemap, so not checked (a reuse that turned
            into a copy does show up, as an unexpected cow_copy)

The mapcount, not pagemap's exclusive bit, decides shared/exclusive: for a
PMD-mapped THP that bit is set from the head page for the whole PMD on 5.10
and 7.3 (6.12 looks at each page), /proc/kpagecount is per page on all of
them.  Nothing here depends on the kernel version: where kernels differ
(7.x installs a THP over the huge zero page, 6.15+ reuses a large folio
only this process maps), the demo's model asks the kernel and this checks
its answer page by page.

A failure names the pages with a new PFN and the /proc/vmstat events since
the last checkpoint that move or hold pages behind the demo's back
(migration, compaction, reclaim), if any: a page migrated, or isolated
while the demo wrote it, is no fault of the model.

Needs root (PFNs and /proc/kpage*). Passes the demo's '# note:' lines on
(as 'note: ...'), prints 'FAIL ...' per mismatching line, then
'DEMO: N passed, N failed' (one per checked expect line) and exits 0 only
if all passed and the demo exited 0; 77 if not root.  In cowlab's guest
it runs from tests/guest/pagemap.sh (Python from scripts/guest-python.sh).

Usage: pagemap_check.py BUILD/cow --steps 20
       pagemap_check.py --each 'BUILD/cow --steps 20' 'BUILD/p --huge' ...
  --each: one interpreter for many runs (its start costs ~0.5 s under
  TCG); each run's output follows a line 'run: CMD' and ends with
  'time: SECONDS s' after its summary line.
"""
import array
import os
import re
import shlex
import subprocess
import sys
import time

PM_PRESENT = 1 << 63
PM_PFN_MASK = (1 << 55) - 1
KPF_THP = 22
KPF_ZERO_PAGE = 24
HPAGE_PAGES = 512
ZERO = -1


class Kpages:
    """/proc/kpageflags and /proc/kpagecount, opened once, read in runs.

    One pread per run of nearby PFNs, not two opens per page: under TCG a
    page-by-page walk of a 10 MiB region took seconds per checkpoint.
    """
    GAP = 64		# read across holes of up to this many PFNs

    def __init__(self):
        self.flags_fd = os.open('/proc/kpageflags', os.O_RDONLY)
        self.count_fd = os.open('/proc/kpagecount', os.O_RDONLY)

    @staticmethod
    def _read(fd, first, count):
        data = os.pread(fd, count * 8, first * 8)
        vals = array.array('Q')
        vals.frombytes(data)
        if len(vals) != count:
            raise OSError(f'short read of {count} PFNs from {first}')
        return vals

    def lookup(self, pfns):
        """{pfn: (flags, mapcount)} for the PFNs given."""
        out = {}
        todo = sorted(set(pfns))
        i = 0
        while i < len(todo):
            j = i
            while j + 1 < len(todo) and todo[j + 1] - todo[j] <= self.GAP:
                j += 1
            first, n = todo[i], todo[j] - todo[i] + 1
            flags = self._read(self.flags_fd, first, n)
            counts = self._read(self.count_fd, first, n)
            for pfn in todo[i:j + 1]:
                out[pfn] = (flags[pfn - first], counts[pfn - first])
            i = j + 1
        return out


def pagemap(pid, start, end):
    with open(f'/proc/{pid}/pagemap', 'rb') as f:
        f.seek((start >> 12) * 8)
        data = f.read(((end - start) >> 12) * 8)
    ents = array.array('Q')
    ents.frombytes(data)
    return ents


def snapshot(kp, pid, start, end):
    """PFN per page (0: not present, ZERO: zero page), the mapcount per
    PFN, and the counts."""
    ents = pagemap(pid, start, end)
    present = [e & PM_PFN_MASK for e in ents if e & PM_PRESENT]
    info = kp.lookup(present)
    pfns = []
    counts = dict(resident=0, shared=0, exclusive=0, zero=0)
    for ent in ents:
        if not ent & PM_PRESENT:
            pfns.append(0)
            continue
        pfn = ent & PM_PFN_MASK
        flags, mapcount = info[pfn]
        counts['resident'] += 1
        if flags >> KPF_ZERO_PAGE & 1:
            counts['zero'] += 1
            pfns.append(ZERO)
        elif mapcount > 1:
            counts['shared'] += 1
            pfns.append(pfn)
        else:
            counts['exclusive'] += 1
            pfns.append(pfn)
    return pfns, info, counts


def zero_to_thp(info, old, new):
    """Did a block of zero pages become one new THP (7.x thp_zero)?"""
    first = new[0]
    return (all(a == ZERO for a in old) and first > 0 and
            first % HPAGE_PAGES == 0 and
            list(new) == list(range(first, first + HPAGE_PAGES)) and
            info[first][0] >> KPF_THP & 1)


# /proc/vmstat events that move or hold pages behind a demo's back (a
# migrated page has a new PFN; an isolated one an extra reference, which
# makes a write copy instead of reuse): named in a failure, to tell such
# a one from a wrong model.
VMSTAT_SUSPECTS = ('pgmigrate_', 'compact_', 'thp_migration_',
                   'numa_pages_migrated', 'pgsteal_', 'pgscan_', 'pswp',
                   'thp_collapse_', 'ksm_', 'cow_ksm')


def vmstat():
    with open('/proc/vmstat') as f:
        return {k: int(v) for k, v in (line.split() for line in f)
                if k.startswith(VMSTAT_SUSPECTS)}


class Checker:
    def __init__(self, kp):
        self.kp = kp
        self.prev = {}		# (pid, start) -> PFNs at the last step
        self.copied = {}	# (pid, start) -> page indexes got by a COW break
        self.passed = 0
        self.failed = []
        self.vmstat = vmstat()
        self.meanwhile = ''

    def checkpoint(self):
        """Before a checkpoint's lines: what vmstat saw since the last."""
        now = vmstat()
        moved = [f'{k} +{now[k] - self.vmstat.get(k, 0)}' for k in now
                 if now[k] != self.vmstat.get(k, 0)]
        self.meanwhile = ('; since the last checkpoint /proc/vmstat: ' +
                          ', '.join(moved)) if moved else ''
        self.vmstat = now

    def check(self, step, line):
        kv = dict(re.findall(r'(\w+)=(\S+)', line))
        pid = int(kv['pid'])
        start, end = (int(x, 16) for x in kv['addr'].split('-'))
        pfns, info, got = snapshot(self.kp, pid, start, end)
        key = (pid, start)
        old = self.prev.get(key, [0] * len(pfns))
        copied = self.copied.setdefault(key, set())
        cow_zero = 0
        moved = []		# page indexes with a new real page
        for i, (a, b) in enumerate(zip(old, pfns)):
            if a == b:
                continue
            if a == ZERO and b > 0:
                cow_zero += 1
                copied.add(i)
            elif a > 0 and b > 0:
                moved.append(i)
                copied.add(i)
            else:
                copied.discard(i)
        if 'thp_zero' in kv:
            # the region starts on 2 MiB with --huge: blocks are aligned
            thp_zero = sum(1 for b in range(0, len(pfns) - HPAGE_PAGES + 1,
                                            HPAGE_PAGES)
                           if zero_to_thp(info, old[b:b + HPAGE_PAGES],
                                          pfns[b:b + HPAGE_PAGES]))
            cow_zero -= thp_zero * HPAGE_PAGES
            got['thp_zero'] = f'+{thp_zero}'
        self.prev[key] = pfns
        got['copied'] = sum(1 for i in copied if pfns[i] > 0 and
                            info[pfns[i]][1] == 1)
        got['cow_copy'] = f'+{len(moved)}'
        got['cow_zero'] = f'+{cow_zero}'
        bad = [f'{k}: expected {kv[k]}, kernel {v}'
               for k, v in got.items() if kv.get(k) != str(v)]
        if bad:
            if moved and kv.get('cow_copy') != got['cow_copy']:
                bad.append('pages with a new PFN: ' +
                           ' '.join(str(i) for i in moved[:8]) +
                           (' ...' if len(moved) > 8 else ''))
            self.failed.append(f'{step} pid={pid}: ' + '; '.join(bad) +
                               self.meanwhile)
        else:
            self.passed += 1


def check_demo(argv, kp):
    """Run one demo under the checks; print its result; True if all
    passed."""
    cmd = argv + ['--wait']
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    checker = Checker(kp)
    step, expects = '', []
    for line in proc.stdout:
        line = line.rstrip('\n')
        if line.startswith('# step '):
            step, expects = line.split(':', 1)[0][2:], []
        elif line.startswith('# expect '):
            expects.append(line)
        elif line.startswith('# note: '):
            print(line[2:], flush=True)
        elif line == '# waiting':
            checker.checkpoint()
            for e in expects:
                checker.check(step, e)
            try:
                proc.stdin.write('\n')
                proc.stdin.flush()
            except BrokenPipeError:
                break		# the demo died: its status says so
    rc = proc.wait()
    for f in checker.failed:
        print('FAIL', f)
    if rc:
        print(f'FAIL {" ".join(cmd)} exited with status {rc}')
    print(f'{os.path.basename(cmd[0])}: {checker.passed} passed, '
          f'{len(checker.failed) + (1 if rc else 0)} failed', flush=True)
    return not checker.failed and not rc


def main():
    args = sys.argv[1:]
    if not args or args[0] in ('-h', '--help'):
        print(__doc__.strip())
        return 0 if args else 2
    if os.geteuid() != 0:
        print('pagemap_check: needs root to read PFNs; skipped')
        return 77
    kp = Kpages()
    if args[0] != '--each':
        return 0 if check_demo(args, kp) else 1
    ok = True
    for run in args[1:]:
        print('run:', run, flush=True)
        t0 = time.monotonic()
        ok = check_demo(shlex.split(run), kp) and ok
        print(f'time: {time.monotonic() - t0:.2f} s', flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
