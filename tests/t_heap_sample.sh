# LEAKTRACE_SAMPLE=524288 on ~64 MiB leaked in 1 KiB blocks at one site:
# the scaled inuse_space comes within 10% of the exact amount.
#
# At this rate a run samples 64 MiB / 512 KiB = 128 blocks on average, so
# one run's estimate has a standard deviation of 1/sqrt(128) = 8.8%: a single
# run is within 10% only three times in four. The test therefore checks the
# mean of several runs (each a new process, with its own random state)
# against the 10% bound, and each run against a 4.5-sigma bound.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"

total=$((64 << 20)) block=1024 rate=524288 runs=12
exact=$((total / block * block))
sum=0
for ((r = 1; r <= runs; r++)); do
  LEAKTRACE_SAMPLE=$rate LEAKTRACE_FD=0 run_traced sample$r "$LT_VICTIMS/heap_sample" $total $block
  [[ $rc == 0 ]] || ko "run $r: exit code $rc"
  read -r _ _ objects bytes <<<"$(query values "$(profile $vpid 1)" leak_sampled)"
  echo "run $r: inuse_space $bytes ($((bytes * 1000 / exact - 1000))‰ off), inuse_objects $objects"
  err=$((bytes > exact ? bytes - exact : exact - bytes))
  expect_true "run $r within 40% (4.5 sigma) of $exact" [ $((err * 100)) -le $((exact * 40)) ]
  # one size at the site: bytes / objects is the block size (rounding aside)
  expect_true "run $r: inuse_space / inuse_objects = $block within 1%" \
    [ $((bytes * 100)) -ge $((objects * block * 99)) -a $((bytes * 100)) -le $((objects * block * 101)) ]
  sum=$((sum + bytes))
done
mean=$((sum / runs))
err=$((mean > exact ? mean - exact : exact - mean))
echo "mean inuse_space $mean, exact $exact"
expect_true "mean of $runs runs within 10% of $exact (off by $((err * 1000 / exact))‰)" \
  [ $((err * 10)) -le $exact ]
finish
