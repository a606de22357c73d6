package dev.rhizome.client.cli;

import picocli.CommandLine.ITypeConverter;

/**
 * Converters for numeric options that refuse values out of their range while parsing, so a
 * negative limit or timeout is a usage error naming the option (exit 2) instead of being taken
 * silently. Every numeric option of every command uses one of these (CliTest checks it); each
 * refusal is a {@link BadValue} naming the accepted form, which the error reporter puts after the
 * option and the value.
 */
public final class Bounded {
    private Bounded() {
    }

    /** 1 or more: counts and limits where 0 would mean nothing at all. */
    public static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) range(value, 1, Integer.MAX_VALUE, "a whole number of at least 1");
        }
    }

    /** 0 or more. */
    public static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) range(value, 0, Integer.MAX_VALUE, "a whole number, 0 or more");
        }
    }

    /** A TCP port, 0 for any free one (or off, where the option says so). */
    public static final class Port implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) range(value, 0, 65535, "a port number, 0..65535");
        }
    }

    /** 1 or more: durations in seconds that must leave time for something to happen. */
    public static final class PositiveLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return range(value, 1, Long.MAX_VALUE, "a whole number of at least 1");
        }
    }

    /** 0 or more: sizes, caps and timeouts where 0 has a stated meaning. */
    public static final class NonNegativeLong implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return range(value, 0, Long.MAX_VALUE, "a whole number, 0 or more");
        }
    }

    /**
     * Seconds, 1 or more: a whole number, or one with a unit (90s, 10m, 1h), as `bench soak
     * --duration` takes them; a new user writes `--duration 2m` as often as `--duration 120`.
     */
    public static final class PositiveSeconds implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return seconds(value, 1);
        }
    }

    /** Seconds, 0 or more, with or without a unit (see {@link PositiveSeconds}). */
    public static final class NonNegativeSeconds implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return seconds(value, 0);
        }
    }

    static long seconds(String value, long min) {
        String v = value.strip();
        long unit = 1;
        if (v.matches("\\d+[smh]")) {
            unit = switch (v.charAt(v.length() - 1)) {
                case 'm' -> 60;
                case 'h' -> 3600;
                default -> 1;
            };
            v = v.substring(0, v.length() - 1);
        }
        String what = (min == 0 ? "a whole number of seconds, 0 or more" : "a whole number of seconds, at least 1")
                + ", or one with a unit: 90s, 5m, 1h";
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadValue(tooLarge(v) ? what + "; " + value.strip() + " is too large" : what);
        }
        if (n < min) {
            throw new BadValue(what);
        }
        if (n > Long.MAX_VALUE / 3600) {
            throw new BadValue(what + "; " + value.strip() + " is too large");
        }
        return n * unit;
    }

    /** A finite number, 0 or more. */
    public static final class NonNegativeDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double d;
            try {
                d = Double.parseDouble(value.strip());
            } catch (NumberFormatException e) {
                throw new BadValue("a finite number, 0 or more");
            }
            if (!Double.isFinite(d) || d < 0) {
                throw new BadValue("a finite number, 0 or more");
            }
            return d;
        }
    }

    static long range(String value, long min, long max, String what) {
        long v;
        try {
            v = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new BadValue(tooLarge(value) ? withMax(what, max) : what);
        }
        if (v < min) {
            throw new BadValue(what);
        }
        if (v > max) {
            throw new BadValue(withMax(what, max));
        }
        return v;
    }

    /**
     * A whole number past the largest one taken is refused naming that largest: `--limit
     * 100000000000` was told "expected a whole number of at least 1", which it is.
     */
    private static String withMax(String what, long max) {
        return what.contains(Long.toString(max)) ? what : what + ", at most " + max;
    }

    /** Digits only, too many for a long: a number, only too large (not a word or a fraction). */
    private static boolean tooLarge(String value) {
        return value.strip().matches("\\+?\\d{19,}");
    }
}
