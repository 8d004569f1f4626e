#!/usr/bin/perl
# manflags.pl: the flags a command's parser, --help text and mdoc man page
# know, one per line, sorted, for tests/integration/manpages.sh to compare.
#
#   manflags.pl parser FILE         the cli_option table in FILE (options[])
#   manflags.pl strcmp FILE         flags a main() compares argv[1] with
#   manflags.pl help                flags in a --help text on stdin
#   manflags.pl synopsis PAGE CMD   flags of CMD's SYNOPSIS block ('' = no subcommand)
#   manflags.pl items PAGE CMD      flags of the .It entries in ".Ss CMD" ('' = whole page)
#   manflags.pl mentions PAGE       every flag the page names anywhere
#   manflags.pl commands PAGE       the subcommands in the SYNOPSIS
#   manflags.pl ids PAGE            "ID LEVEL" of every ".It Cm ID No (LEVEL)"
use strict;
use warnings;

my ($mode, $file, $cmd) = @ARGV;
$cmd //= '';

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "manflags.pl: $path: $!\n";
	local $/;
	return <$fh>;
}

# "Fl -bind Ar addr | Fl v" -> --bind, -v
sub fl_flags {
	my ($line) = @_;
	my @out;
	while ($line =~ /\bFl\s+(\\?-)?([A-Za-z0-9][A-Za-z0-9-]*)/g) {
		push @out, (defined $1 ? '--' : '-') . $2;
	}
	return @out;
}

sub parser_flags {
	my $src = slurp($file);
	$src =~ /struct cli_option options\[\]\s*=\s*\{(.*?)\n\};/s
	    or die "manflags.pl: no options[] table in $file\n";
	my $table = $1;
	my @out;
	while ($table =~ /\{\s*(NULL|"([^"]*)")\s*,\s*('(.)'|0)\s*,/g) {
		push @out, "--$2" if defined $2;
		push @out, "-$4" if defined $4;
	}
	return @out;
}

sub help_flags {
	local $/;
	my $text = <STDIN>;
	my @out = $text =~ /(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z0-9](?![\w-]))/g;
	return @out;
}

# The lines of one SYNOPSIS block: from .Nm (followed by .Cm CMD, or not) to the next .Nm.
sub synopsis_flags {
	my @lines = split /\n/, slurp($file);
	my ($in, $name, @out) = (0, undef);
	for my $l (@lines) {
		if ($l =~ /^\.Sh\s+(.*)/) { $in = $1 eq 'SYNOPSIS'; next; }
		next unless $in;
		if ($l =~ /^\.Nm\b/) { $name = undef; next; }
		if (!defined $name) { $name = $l =~ /^\.Cm\s+(\S+)/ ? $1 : ''; }
		push @out, fl_flags($l) if $name eq $cmd;
	}
	return @out;
}

sub item_flags {
	my @lines = split /\n/, slurp($file);
	my $in = $cmd eq '';
	my @out;
	for my $l (@lines) {
		if ($cmd ne '' && $l =~ /^\.(Ss|Sh)\s+(.*)/) { $in = $1 eq 'Ss' && $2 eq $cmd; next; }
		push @out, fl_flags($l) if $in && $l =~ /^\.It\s+Fl\b/;
	}
	return @out;
}

sub synopsis_commands {
	my @lines = split /\n/, slurp($file);
	my ($in, $after_nm, @out) = (0, 0);
	for my $l (@lines) {
		if ($l =~ /^\.Sh\s+(.*)/) { $in = $1 eq 'SYNOPSIS'; next; }
		next unless $in;
		push @out, $1 if $after_nm && $l =~ /^\.Cm\s+(\S+)/;
		$after_nm = $l =~ /^\.Nm\b/;
	}
	return @out;
}

my @flags;
if ($mode eq 'parser') { @flags = parser_flags(); }
elsif ($mode eq 'strcmp') { @flags = slurp($file) =~ /strcmp\(cmd, "(-[^"]+)"\)/g; }
elsif ($mode eq 'help') { @flags = help_flags(); }
elsif ($mode eq 'synopsis') { @flags = synopsis_flags(); }
elsif ($mode eq 'items') { @flags = item_flags(); }
elsif ($mode eq 'mentions') { @flags = map { fl_flags($_) } grep { !/^\.\\"/ } split /\n/, slurp($file); }
elsif ($mode eq 'commands') { @flags = synopsis_commands(); }
elsif ($mode eq 'ids') {
	my $page = slurp($file);
	push @flags, "$1 $2" while $page =~ /^\.It Cm (\S+) No \((\w+)\)$/mg;
}
else { die "usage: manflags.pl parser|strcmp|help|synopsis|items|mentions|commands|ids ...\n"; }

my %seen;
print "$_\n" for sort grep { !$seen{$_}++ } @flags;
