# The sampling weights' math (src/sample_math.h, the tracer's own instead of
# libm's) agrees with libm's log and expm1 to 2e-15 relative error over the
# domains the tracer uses; and the library does not load libm.
source "$LT_TESTS/lib.sh"

out=$("$LT_VICTIMS/sample_math" 2e-15)
expect "math within 2e-15 of libm ($out)" 0 $?
libm=$(ldd "$LT_LIB" | grep -c 'libm\.so' || true)
expect "libm among the library's dependencies" 0 "$libm"
finish
