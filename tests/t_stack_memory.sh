# The stack table with many distinct stacks (stack_fanout.c: 65,536 paths
# of 39 frames, each allocating a block and freeing it, twice over).
#
# Its memory a stack, single-threaded: the record (32 bytes), the counters
# in the one shard the thread writes (32), the frames it does not share
# with the stack interned before it (8 bytes each) and a share of the slot
# arrays, which grow 4x at a load of 1/2 from 2^14 slots of 4 bytes (every
# array up to the one holding the ids counted whole: its stacks land on
# random pages). The process's resident growth over the stacks, less the
# untraced program's, is what the tracer kept.
# - Paths made in "outer" order part next to main: nothing is shared, 39
#   frames a stack. A record holding all four shards' counters on lines of
#   their own took 256 bytes more a stack than this allows, and one 4 MiB
#   slot array 43 more.
# - In "inner" order, one after the other differ in their innermost turns,
#   and a stack shares its outer frames with the one before when that is at
#   least half of them: it keeps 19 frames at most (16.1 on average in a
#   model of this order: a stack can share only the last run of the one
#   before, so a run once shortened stays short until a stack shares too
#   little and keeps all its frames). Keeping all 39 took 160 bytes more a
#   stack than this allows.
# Every stack must be in the profile once, with its two blocks, and its
# frames must be a path (a frame from another stack's tail would show), in
# both orders and with four threads adding the stacks at once, across the
# slot arrays' growths (a lookup that missed a stack added meanwhile, and
# added it again, would show a stack twice).
#
# Last, what snapshots of all these stacks leave in a threaded program that
# goes on (the tracer's thread writes them in the process): every snapshot
# holds every path, the object files libdw read are unmapped again (a
# python3 with DWARF kept 45 MB of them and of libdw's tables for good)
# and the debug files it read (libc6-dbg's, where installed) closed,
# and glibc's mmap threshold is still its default (the profile's buffers
# and libdw's tables, freed through glibc, raised it for the program).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

levels=16 paths=$((1 << 16))
ids=$((paths + 16)) # and a catch-all stack for each of 16 tags
size=$((1 << 14)) slot_bytes=$(((1 << 14) * 4))
while ((ids * 2 > size)); do
  size=$((size * 4))
  slot_bytes=$((slot_bytes + size * 4))
done
path_regex="fanout_leaf fanout_walk( fanout_(left|right) fanout_walk){$levels}( make_paths)? (main|start_thread)( .*)?"
blocks=$((2 * (paths - 2) + 2))

# The runs measured go without transparent huge pages (PR_SET_THP_DISABLE,
# kept across exec): where THP is "always", the tracer's tables would be
# resident 2 MiB at a time, and the figure would be the page size's.
without_thp=(python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)
os.execv(sys.argv[1], sys.argv[1:])')

# check_fanout NAME [SEQ]: the profile of run NAME ($vpid) holds every path once
check_fanout() {
  local f
  f=$(profile $vpid "${2:-1}")
  check_site "$f" fanout_leaf $blocks $((blocks * 16)) 0 0
  expect "$1: samples holding fanout_leaf, distinct stacks, stacks that are paths" \
    "$paths $paths $paths" "$(query stacks "$f" fanout_leaf "$path_regex")"
}

for order in outer inner; do
  echo "--- $order order"
  untraced=$("${without_thp[@]}" "$LT_VICTIMS/stack_fanout" $levels 1 $order)
  LEAKTRACE_FD=0 TIMEOUT=120 run_traced $order "${without_thp[@]}" "$LT_VICTIMS/stack_fanout" \
    $levels 1 $order
  expect "$order: exit code" 0 "$rc"
  traced_out=$(cat "$T/$order.out")
  echo "untraced: $untraced; traced: $traced_out"
  stacks=${traced_out#stacks=}
  stacks=${stacks%% *}
  growth=${traced_out#*rss_growth=}
  untraced_growth=${untraced#*rss_growth=}
  expect "$order: stacks made after the first two" $((paths - 2)) "$stacks"
  check_fanout $order
  depth=$(query frames "$(profile $vpid 1)" make_paths | wc -w)
  expect "frames of a stack (2 a level; the last fanout_walk, fanout_leaf, make_paths, main and the 3 below it)" \
    $((2 * levels + 7)) "$depth"
  kept=$depth
  [[ $order == inner ]] && kept=$((depth / 2))
  budget=$((32 + 32 + 8 * kept + (slot_bytes + stacks - 1) / stacks + 16))
  per_stack=$(((growth - untraced_growth) / stacks))
  echo "$order: tracer memory a stack $per_stack bytes (budget $budget: 32 + 32 + 8 x $kept" \
    "frames + $slot_bytes bytes of slot arrays a stack's share + 16)"
  expect_true "$order: tracer memory a stack $per_stack B <= $budget B" test "$per_stack" -le "$budget"
done

for order in outer inner; do
  LEAKTRACE_FD=0 TIMEOUT=120 run_traced ${order}4 "$LT_VICTIMS/stack_fanout" $levels 4 $order
  expect "4 threads, $order: exit code" 0 "$rc"
  check_fanout "4 threads, $order"
done
snapshots=3
LEAKTRACE_FD=0 TIMEOUT=120 run_traced snapshots "$LT_VICTIMS/stack_fanout" $levels 1 outer $snapshots
expect "snapshots: exit code" 0 "$rc"
cat "$T/snapshots.out"
for ((k = 1; k <= snapshots; k++)); do
  mappings=$(sed -n "s/^snapshot=$k file_mappings=\([0-9]*,[0-9]*\) .*/\1/p" "$T/snapshots.out")
  expect "snapshot $k: files mapped before it, and after it" "${mappings%,*},${mappings%,*}" "$mappings"
  fds=$(sed -n "s/^snapshot=$k .* descriptors=\([0-9]*,[0-9]*\) .*/\1/p" "$T/snapshots.out")
  expect "snapshot $k: descriptors open before it, and after it" "${fds%,*},${fds%,*}" "$fds"
  check_fanout "snapshot $k" $k
done
expect "a 129 KiB block still mapped by glibc after the snapshots" 1 \
  "$(sed -n 's/^large_block_mapped=//p' "$T/snapshots.out")"
finish
