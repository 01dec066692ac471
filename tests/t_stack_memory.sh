# The tracer's memory a distinct stack, single-threaded: its record (24
# bytes), its counters in the one shard the thread writes (32), its frames
# (8 bytes each) and its share of the table's slot array (4 MiB of 4-byte
# slots, touched all over once stacks are many). 65,534 stacks of 38
# frames, each allocating a block and freeing it (stack_fanout.c); the
# process's resident growth over them, less the untraced program's, is
# what the tracer kept. A record holding all four shards' counters on lines
# of their own took 264 bytes more a stack than this allows.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

levels=16
untraced=$("$LT_VICTIMS/stack_fanout" $levels)
LEAKTRACE_FD=0 TIMEOUT=120 run_traced fanout "$LT_VICTIMS/stack_fanout" $levels
expect "exit code" 0 "$rc"
traced_out=$(cat "$T/fanout.out")
echo "untraced: $untraced; traced: $traced_out"
stacks=${traced_out#stacks=}
stacks=${stacks%% *}
growth=${traced_out#*rss_growth=}
untraced_growth=${untraced#*rss_growth=}

f=$(profile $vpid 1)
check_site "$f" fanout_leaf $((stacks + 2)) $(((stacks + 2) * 16)) 0 0
depth=$(query frames "$f" fanout_leaf | wc -w)
expect "frames of a stack (2 a level; the last fanout_walk, fanout_leaf, main and the 3 below it)" $((2 * levels + 6)) "$depth"

slot_array=$((4 << 20))
budget=$((24 + 32 + 8 * depth + (slot_array + stacks - 1) / stacks + 8))
per_stack=$(((growth - untraced_growth) / stacks))
echo "tracer memory a stack: $per_stack bytes (budget $budget: 24 + 32 + 8 x $depth frames" \
  "+ the slot array's share + 8)"
expect_true "tracer memory a stack $per_stack B <= $budget B" test "$per_stack" -le "$budget"
finish
