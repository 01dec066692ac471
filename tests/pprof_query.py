#!/usr/bin/env python3
"""Query a profile as `go tool pprof -raw` prints it.

  pprof_query.py total PROFILE SAMPLE_TYPE FUNCTION [KEY=VALUE]
      sum of SAMPLE_TYPE over samples with FUNCTION anywhere in their stack
      (and, if given, the string label KEY equal to VALUE); 0 if none.
  pprof_query.py values PROFILE FUNCTION
      the same for every sample type at once, in the profile's order.
  pprof_query.py sum PROFILE SAMPLE_TYPE
      sum of SAMPLE_TYPE over all samples.
  pprof_query.py frames PROFILE FUNCTION
      the function names of the first sample holding FUNCTION, innermost first.
  pprof_query.py stacks PROFILE FUNCTION [REGEX]
      how many samples hold FUNCTION, how many different stacks (by their
      function names) those are, and, with REGEX, how many of those samples'
      stacks (their function names, innermost first, one space apart) it
      matches whole: "SAMPLES DISTINCT [MATCHING]".

PROFILE may be BASE:PROFILE (`go tool pprof -raw -base BASE PROFILE`): the
values are then PROFILE's minus BASE's.

Every number comes from the real client: the profile is read by `go tool pprof`.
"""
import re
import subprocess
import sys


class Raw:
    def __init__(self, path):
        base, _, path = path.rpartition(":")
        flags = ["-base", base] if base else []
        text = subprocess.run(["go", "tool", "pprof", "-raw"] + flags + [path], check=True,
                              capture_output=True, text=True).stdout
        self.types, self.samples, self.functions = [], [], {}
        part, loc = None, None
        for line in text.splitlines():
            head = line.strip()
            if head in ("Samples:", "Locations", "Mappings"):
                part = head
                continue
            if part == "Samples:":
                self._sample_line(line)
            elif part == "Locations":
                loc = self._location_line(line, loc)

    def _sample_line(self, line):
        if not self.types:
            self.types = [t.split("/")[0] for t in line.replace("[dflt]", "").split()]
            return
        m = re.match(r"\s*(-?\d+(?:\s+-?\d+)*):\s*([\d ]*)$", line)
        if m:
            values = [int(v) for v in m.group(1).split()]
            self.samples.append({"values": values, "locs": m.group(2).split(), "labels": {}})
        elif self.samples:
            for key, val in re.findall(r"(\w+):\[([^\]]*)\]", line):
                self.samples[-1]["labels"][key] = val

    def _location_line(self, line, loc):
        m = re.match(r"\s*(\d+): 0x[0-9a-f]+ M=\d+\s*(\S*)", line)
        if m:
            loc = m.group(1)
            self.functions[loc] = [m.group(2)] if m.group(2) else []
        elif loc and line.strip():
            self.functions[loc].append(line.split()[0])  # an inlined frame
        return loc

    def stack(self, sample):
        return [f for loc in sample["locs"] for f in self.functions.get(loc, [])]

    def column(self, sample_type):
        if sample_type not in self.types:
            sys.exit(f"sample type {sample_type} not in {self.types}")
        return self.types.index(sample_type)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    raw = Raw(path)
    if cmd == "total":
        col, fn = raw.column(sys.argv[3]), sys.argv[4]
        key, _, want = sys.argv[5].partition("=") if len(sys.argv) > 5 else ("", "", "")
        print(sum(s["values"][col] for s in raw.samples
                  if fn in raw.stack(s) and (not key or s["labels"].get(key) == want)))
    elif cmd == "values":
        held = [s for s in raw.samples if sys.argv[3] in raw.stack(s)]
        print(" ".join(str(sum(s["values"][col] for s in held)) for col in range(len(raw.types))))
    elif cmd == "sum":
        col = raw.column(sys.argv[3])
        print(sum(s["values"][col] for s in raw.samples))
    elif cmd == "frames":
        for s in raw.samples:
            if sys.argv[3] in raw.stack(s):
                print(" ".join(raw.stack(s)))
                return
    elif cmd == "stacks":
        held = [tuple(raw.stack(s)) for s in raw.samples if sys.argv[3] in raw.stack(s)]
        counts = [len(held), len(set(held))]
        if len(sys.argv) > 4:
            counts.append(sum(1 for h in held if re.fullmatch(sys.argv[4], " ".join(h))))
        print(*counts)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
