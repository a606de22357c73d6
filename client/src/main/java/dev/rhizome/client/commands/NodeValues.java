package dev.rhizome.client.commands;

import dev.rhizome.client.cli.BadValue;
import dev.rhizome.node.peer.DialAddress;
import dev.rhizome.node.prefs.TimeWindows;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.ITypeConverter;

/**
 * Converters for `rhizome node`'s preferences that are not plain numbers, so each is refused while
 * parsing, on the command line and in node.properties alike, as "invalid value 'V' for --OPTION:
 * expected FORM" with the option named: checked after parsing, --run-hours kept its own words and
 * named no option, and --gpus from the file did not name the file.
 */
final class NodeValues {
    private NodeValues() {
    }

    /** {@code all}, {@code none} or nvidia-smi indices {@code 0,2}; the value, stripped. */
    static final class Gpus implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.strip();
            indices(v);
            return v;
        }

        /** The chosen indices; empty for {@code all} and {@code none}. */
        static Set<Integer> indices(String value) {
            Set<Integer> indices = new HashSet<>();
            String v = value.strip();
            if (v.equals("all") || v.equals("none")) {
                return indices;
            }
            for (String part : v.split(",", -1)) {
                try {
                    int index = Integer.parseInt(part.strip());
                    if (index < 0) {
                        throw new NumberFormatException();
                    }
                    indices.add(index);
                } catch (NumberFormatException e) {
                    throw new BadValue("all, none or GPU indices like 0,2", List.of("all", "none"));
                }
            }
            return indices;
        }
    }

    /** {@code HOST:PORT} where peers dial the node ({@code --announce}): refused as peers and the coordinator would. */
    static final class Announce implements ITypeConverter<DialAddress> {
        @Override
        public DialAddress convert(String value) {
            try {
                return DialAddress.parse(value);
            } catch (IllegalArgumentException e) {
                throw new BadValue(DialAddress.FORM + " (" + e.getMessage().replace("; expected " + DialAddress.FORM, "") + ")");
            }
        }
    }

    /** Local-time windows {@code HH:MM-HH:MM[,...]}. */
    static final class RunHours implements ITypeConverter<TimeWindows> {
        @Override
        public TimeWindows convert(String value) {
            try {
                return TimeWindows.parse(value);
            } catch (IllegalArgumentException e) {
                throw new BadValue("local-time windows HH:MM-HH:MM, comma-separated (e.g. 22:00-07:00,12:00-13:30)");
            }
        }
    }
}
