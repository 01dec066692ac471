#!/usr/bin/perl
# A malloc-heavy real program: word statistics over the generated text on stdin
# (hashes, arrays, string building, regexes, sort). Prints a short summary.
use strict;
use warnings;
my (%count, %next, @lines);
while (my $line = <STDIN>) {
    chomp $line;
    push @lines, $line;
    my @w = split / /, $line;
    for my $i (0 .. $#w) {
        $count{$w[$i]}++;
        push @{ $next{$w[$i]} }, $w[$i + 1] if $i < $#w;
    }
}
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 99];
my $out = '';
for my $w (@top) {
    my %seen;
    $seen{$_}++ for @{ $next{$w} };
    my ($best) = sort { $seen{$b} <=> $seen{$a} || $a cmp $b } keys %seen;
    $out .= sprintf "%s %d %s\n", $w, $count{$w}, $best;
}
my $vowels = 0;
for my $line (@lines) {
    (my $u = uc $line) =~ s/([AEIOU])/<$1>/g;
    $vowels += () = $u =~ /</g;
}
my $text = join "\n", reverse @lines;
printf "words=%d lines=%d vowels=%d len=%d top=%s\n", scalar(keys %count), scalar(@lines),
    $vowels, length($text), join(',', @top[0 .. 4]);
