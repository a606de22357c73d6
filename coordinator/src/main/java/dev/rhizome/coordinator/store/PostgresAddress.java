package dev.rhizome.coordinator.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A PostgreSQL store address, parsed and checked with no I/O (see {@link PostgresStore} for what
 * each parameter bounds): {@code postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=NAME&pool=N&
 * timeout=S&read_timeout=S&migrate_timeout=S}. Every part that is there is checked, so a misspelt
 * parameter or a port out of range is refused here rather than left at a default or found by the
 * driver after the coordinator started.
 *
 * @param user     null when the address names none (the driver's default applies)
 * @param password null when the address names none
 * @param port     -1 when the address names none (5432)
 */
public record PostgresAddress(String host, int port, String database, String user, String password, String schema,
        int pool, int timeoutSeconds, int readTimeoutSeconds, int migrateTimeoutSeconds) implements StoreAddress {

    /** The address's query parameters, in the order the class comment gives them. */
    public static final List<String> PARAMETERS = List.of("schema", "pool", "timeout", "read_timeout", "migrate_timeout");
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern DATABASE = Pattern.compile("[^/?#\\x00-\\x1f]{1,63}");

    public static PostgresAddress parse(String address) throws InvalidStoreAddress {
        if (!PostgresStore.handles(address)) {
            throw new InvalidStoreAddress(address, "it must start with postgresql:// (" + InvalidStoreAddress.FORM + ")");
        }
        URI uri;
        try {
            uri = new URI(address);
        } catch (URISyntaxException e) {
            // the exception's own message quotes the whole address, password included
            throw new InvalidStoreAddress(address, "not a URL (" + e.getReason() + " at character " + (e.getIndex() + 1)
                    + "): percent-encode characters such as @ : / ? # % and spaces in the user and password");
        }
        if (uri.getRawFragment() != null) {
            throw new InvalidStoreAddress(address, "a '#' starts no part of a store address: percent-encode it (%23)");
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new InvalidStoreAddress(address, "no host: " + InvalidStoreAddress.FORM);
        }
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (uri.getHost() == null) {
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0 && !hostPort.endsWith("]")) {
                String port = hostPort.substring(colon + 1);
                if (!port.chars().allMatch(Character::isDigit)) {
                    throw new InvalidStoreAddress(address, "port '" + port + "' is not a number (1 to 65535)");
                }
            }
            throw new InvalidStoreAddress(address, "host '" + hostPort + "' is not a host name or address");
        }
        if (hostPort.endsWith(":")) {
            throw new InvalidStoreAddress(address, "a ':' with no port after it: give the port (1 to 65535) or leave "
                    + "both out for 5432");
        }
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw new InvalidStoreAddress(address, "port " + port + " is out of range: 1 to 65535 (5432 when left out)");
        }
        String path = uri.getPath();
        if (path == null || path.length() < 2) {
            throw new InvalidStoreAddress(address, "no database name: " + InvalidStoreAddress.FORM);
        }
        String database = path.substring(1);
        if (!DATABASE.matcher(database).matches()) {
            throw new InvalidStoreAddress(address, "database name '" + database + "' is not one name (up to 63 "
                    + "characters, no '/'): " + InvalidStoreAddress.FORM);
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(address, parts[0]);
            if (user.isEmpty()) {
                throw new InvalidStoreAddress(address, "the user before '@' is empty: " + InvalidStoreAddress.FORM);
            }
            password = parts.length > 1 ? decode(address, parts[1]) : null;
        }
        Map<String, String> query = query(address, uri.getRawQuery());
        String schema = query.getOrDefault("schema", "public");
        if (!SCHEMA.matcher(schema).matches()) {
            throw new InvalidStoreAddress(address, "schema must be a lower-case SQL identifier (a-z, 0-9, _; up to 63), "
                    + "got '" + schema + "'");
        }
        int pool = number(address, query, "pool", 8, 1, 200, "a number of connections");
        int timeout = number(address, query, "timeout", PostgresStore.DEFAULT_TIMEOUT_SECONDS, 1, 86_400, "a number of seconds");
        int readTimeout = number(address, query, "read_timeout", PostgresStore.DEFAULT_READ_TIMEOUT_SECONDS, 1, 86_400,
                "a number of seconds");
        int migrateTimeout = number(address, query, "migrate_timeout", MigrationBounds.DEFAULT_SECONDS, 1, 86_400,
                "a number of seconds");
        return new PostgresAddress(uri.getHost(), port, database, user, password, schema, pool, timeout, readTimeout,
                migrateTimeout);
    }

    /** The JDBC URL of the database, without the user, the password or any parameter. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + (port > 0 ? ":" + port : "") + "/" + database;
    }

    @Override
    public String toString() {
        return "PostgresAddress[" + jdbcUrl() + ", user " + user + ", schema " + schema + "]";
    }

    private static int number(String address, Map<String, String> query, String name, int otherwise, int min, int max,
            String what) throws InvalidStoreAddress {
        String value = query.get(name);
        if (value == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // told below
        }
        throw new InvalidStoreAddress(address, name + " must be " + what + ", " + min + ".." + max + ", got '" + value + "'");
    }

    private static Map<String, String> query(String address, String raw) throws InvalidStoreAddress {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&", -1)) {
            String[] kv = pair.split("=", 2);
            String name = decode(address, kv[0]);
            if (!PARAMETERS.contains(name)) {
                // a misspelt bound (timout=5) would otherwise leave the default in force, unsaid
                throw new InvalidStoreAddress(address, (name.isEmpty() ? "an empty parameter" : "unknown parameter '"
                        + name + "'") + ": the parameters are " + String.join(", ", PARAMETERS), name, PARAMETERS);
            }
            if (kv.length < 2) {
                throw new InvalidStoreAddress(address, "parameter '" + name + "' has no value: write " + name + "=VALUE");
            }
            if (params.put(name, decode(address, kv[1])) != null) {
                throw new InvalidStoreAddress(address, "parameter '" + name + "' is given twice: keep one");
            }
        }
        return params;
    }

    private static String decode(String address, String s) throws InvalidStoreAddress {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidStoreAddress(address, "a '%' not followed by two hex digits: write a literal % as %25");
        }
    }
}
