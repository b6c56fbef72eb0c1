"""Classifies the perf samples of a JVM's stepping thread (comm 'java') by top frame and by first dlcourse frame
outside dlcourse.kernels; used by bench/library/perf_step (session 13 of README.md). Usage: perf_agg.py file.data"""
import collections
import re
import subprocess
import sys

data = sys.argv[1]
out = subprocess.run(['perf', 'script', '-i', data, '--comm', 'java', '-F', 'ip,sym,dso'],
                     capture_output=True, text=True).stdout


def short(sym):
    m = re.match(r'(?:\S+ )?([\w.$<>]+)\(', sym)
    return '.'.join(m.group(1).split('.')[-2:]) if m else sym[:60]


def classify(sym, dso):
    if sym.startswith('[unknown]') or re.match(r'0x[0-9a-f]+', sym):
        return 'oneDNN JIT kernels (no symbols)' if 'perf-' in dso or 'JIT' in dso else dso
    for key, label in (('kernel', 'kernel'), ('libc', 'libc'), ('nd4j', 'nd4j native'), ('libjvm', 'libjvm')):
        if key in dso:
            return label if key in ('kernel', 'nd4j', 'libjvm') else f'{label} ({sym})'
    return short(sym)


top, first = collections.Counter(), collections.Counter()
n = 0
for sample in out.split('\n\n'):
    frames = [(m.group(2), m.group(3)) for m in
              (re.match(r'([0-9a-f]+)\s+(.*)\s+\((.*)\)$', line.strip()) for line in sample.strip().split('\n')) if m]
    if not frames:
        continue
    n += 1
    top[classify(*frames[0])] += 1
    first[next((short(s) for s, _ in frames if 'dlcourse.' in s and 'dlcourse.kernels' not in s), '?')] += 1
print('samples', n)
print('--- top frame')
for k, c in top.most_common(30):
    print('%5.1f%% %s' % (100 * c / n, k))
print('--- first dlcourse frame outside kernels (? = below native code without frame pointers)')
for k, c in first.most_common(20):
    print('%5.1f%% %s' % (100 * c / n, k))
