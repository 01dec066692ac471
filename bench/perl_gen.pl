#!/usr/bin/perl
# Writes LINES lines of pseudo-random words (deterministic: fixed seed) to stdout:
# the input of perl_work.pl.   perl_gen.pl LINES
use strict;
use warnings;
my $lines = shift // 200000;
srand(42);
my @syl = qw(ka lo mi nu re sa ti vo ze pa qu ex an or el ri);
for (1 .. $lines) {
    my @w = map { join '', map { $syl[int rand @syl] } 1 .. 1 + int rand 4 } 1 .. 4 + int rand 12;
    print join(' ', @w), "\n";
}
