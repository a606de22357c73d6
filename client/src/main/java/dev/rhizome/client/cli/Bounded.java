package dev.rhizome.client.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converters for numeric options that refuse values out of their range while parsing, so a
 * negative limit or timeout is a usage error naming the option (exit 2) instead of being taken
 * silently. Every numeric option of every command uses one of these (CliTest checks it); picocli
 * prefixes the message with "Invalid value for option '--name'".
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

    /** A finite number, 0 or more. */
    public static final class NonNegativeDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double d;
            try {
                d = Double.parseDouble(value.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number");
            }
            if (!Double.isFinite(d) || d < 0) {
                throw new TypeConversionException("'" + value + "' must be a finite number, 0 or more");
            }
            return d;
        }
    }

    static long range(String value, long min, long max, String what) {
        long v;
        try {
            v = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not " + what);
        }
        if (v < min || v > max) {
            throw new TypeConversionException("'" + value + "' is out of range: must be " + what);
        }
        return v;
    }
}
