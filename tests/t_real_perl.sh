# perl doing real work (hashes, sorting, regex, sprintf, pack, closures)
# under the preload: same output and exit code (2), readable exit snapshot.
source "$LT_TESTS/lib.sh"
source "$LT_TESTS/lib_heap.sh"
command -v perl >/dev/null || { echo "SKIP: perl not installed"; exit 0; }
cat >"$T/work.pl" <<'PL'
use strict;
use warnings;
my %h;
for my $i (1 .. 200000) { $h{sprintf "k%06d", ($i * 7919) % 100003} .= "x" }
my @keys = sort { length($h{$b}) <=> length($h{$a}) || $a cmp $b } keys %h;
print scalar(@keys), " keys, first $keys[0], last $keys[-1]\n";
my $text = join " ", map { "w$_" } 1 .. 100000;
my @m = $text =~ /\bw(\d*7)\b/g;
print scalar(@m), " matches, last $m[-1]\n";
my @subs = map { my $n = $_; sub { $n * $_[0] } } 1 .. 1000;
my $s = 0;
$s += $_->(3) for @subs;
print "closures $s\n";
my $packed = pack "N*", 1 .. 50000;
my @back = unpack "N*", $packed;
print "pack ", length($packed), " ", $back[-1], "\n";
my %nested;
push @{ $nested{ $_ % 97 }{ $_ % 13 } }, $_ for 1 .. 100000;
my $cells = 0;
$cells += scalar keys %{ $nested{$_} } for keys %nested;
print "nested $cells\n";
(my $t = $text) =~ s/(\d+)/<$1>/g;
print "subst ", length($t), "\n";
print STDERR "perl done\n";
exit 2;
PL
real_check perl perl "$T/work.pl"
finish
