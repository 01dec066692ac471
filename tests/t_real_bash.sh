# bash running a script with functions, subshells, pipes, process
# substitution, arrays and a background job: same output and exit code (3);
# every process of the script (subshells, pipeline members) writes a
# readable snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
cat >"$T/work.sh" <<'SH'
set -u
fib() {
  local n=$1 a b
  ((n < 2)) && { echo "$n"; return; }
  a=$(fib $((n - 1)))
  b=$(fib $((n - 2)))
  echo $((a + b))
}
echo "fib 6 = $(fib 6)"
declare -A seen
for ((i = 0; i < 3000; i++)); do seen[k$((i * 37 % 1001))]=$i; done
echo "assoc ${#seen[@]}"
arr=($(seq 1 5000))
echo "array ${#arr[@]} sum $(IFS=+; echo $((${arr[*]})))"
seq 1 20000 | awk '{print $1 % 97}' | sort -n | uniq -c | sort -k1,1nr -k2,2n | head -3
echo "lines $(seq 1 5000 | grep -c 7)"
while read -r a b; do echo "pair $a $b"; done < <(printf '%s %s\n' x 1 y 2 z 3)
( cd / && echo "subshell in $PWD" )
s=$(for w in alpha beta gamma; do echo "${w^^}"; done | tr '\n' ,)
echo "upper $s"
{ sleep 0.1; echo "background done"; } > "$PWD/bg.out" &
wait
cat bg.out
echo "to stderr" >&2
exit 3
SH
real_check bash bash "$T/work.sh"
finish
