# sort (multi-threaded, large buffers, temporary files) on a generated
# ~20 MB file under the preload: byte-identical output, readable snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
lines=700000
awk -v n=$lines 'BEGIN { x = 12345; for (i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%010d key%07d %s\n", x, i, substr("abcdefghij", x % 10 + 1) } }' >"$T/big.txt"
echo "input: $(wc -c <"$T/big.txt") bytes, $lines lines"
export LC_ALL=C
real_check sort sort -S 8M -T . "$T/big.txt"
real_check sortk sort -k3,3 -k2,2r --parallel=2 "$T/big.txt"
finish
