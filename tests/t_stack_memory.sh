# The stack table with many distinct stacks (stack_fanout.c: 65,536 paths
# of 38 frames, each allocating a block and freeing it).
#
# Its memory a stack, single-threaded: the record (24 bytes), the counters
# in the one shard the thread writes (32), the frames (8 bytes each) and a
# share of the slot arrays, which grow 4x at a load of 1/2 from 2^14 slots
# of 4 bytes (every array up to the one holding the ids counted whole: its
# stacks land on random pages). The process's resident growth over the
# stacks, less the untraced program's, is what the tracer kept. A record
# holding all four shards' counters on lines of their own took 264 bytes
# more a stack than this allows, and one 4 MiB slot array 43 more.
#
# Then the same stacks made by four threads at once, across the slot
# arrays' growths: each stack must be in the profile once, with its one
# block (a lookup that missed a stack added meanwhile, and added it again,
# would show a stack twice).
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

levels=16 paths=$((1 << 16))
untraced=$("$LT_VICTIMS/stack_fanout" $levels)
LEAKTRACE_FD=0 TIMEOUT=120 run_traced fanout "$LT_VICTIMS/stack_fanout" $levels
expect "exit code" 0 "$rc"
traced_out=$(cat "$T/fanout.out")
echo "untraced: $untraced; traced: $traced_out"
stacks=${traced_out#stacks=}
stacks=${stacks%% *}
growth=${traced_out#*rss_growth=}
untraced_growth=${untraced#*rss_growth=}
expect "stacks made after the first two" $((paths - 2)) "$stacks"

f=$(profile $vpid 1)
check_site "$f" fanout_leaf $paths $((paths * 16)) 0 0
expect "samples holding fanout_leaf, distinct stacks" "$paths $paths" "$(query stacks "$f" fanout_leaf)"
depth=$(query frames "$f" fanout_leaf | wc -w)
expect "frames of a stack (2 a level; the last fanout_walk, fanout_leaf, main and the 3 below it)" \
  $((2 * levels + 6)) "$depth"

ids=$((paths + 16)) # and a catch-all stack for each of 16 tags
size=$((1 << 14)) slot_bytes=$(((1 << 14) * 4))
while ((ids * 2 > size)); do
  size=$((size * 4))
  slot_bytes=$((slot_bytes + size * 4))
done
budget=$((24 + 32 + 8 * depth + (slot_bytes + stacks - 1) / stacks + 16))
per_stack=$(((growth - untraced_growth) / stacks))
echo "tracer memory a stack: $per_stack bytes (budget $budget: 24 + 32 + 8 x $depth frames" \
  "+ $slot_bytes bytes of slot arrays a stack's share + 16)"
expect_true "tracer memory a stack $per_stack B <= $budget B" test "$per_stack" -le "$budget"

LEAKTRACE_FD=0 TIMEOUT=120 run_traced fanout4 "$LT_VICTIMS/stack_fanout" $levels 4
expect "4 threads: exit code" 0 "$rc"
f=$(profile $vpid 1)
check_site "$f" fanout_leaf $paths $((paths * 16)) 0 0
expect "4 threads: samples holding fanout_leaf, distinct stacks" "$paths $paths" \
  "$(query stacks "$f" fanout_leaf)"
finish
