package dev.rhizome.client.cli;

import dev.rhizome.coordinator.store.InvalidStoreAddress;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.UnresolvableStoreHost;
import dev.rhizome.coordinator.store.StoreAddress;

/**
 * Checks a coordinator's store address ({@code --store}, or a config file's {@code store}) before
 * anything starts, with the parser the store opens it with: a misspelt parameter or a bad port was
 * refused only once the coordinator opened its database, as {@code failed} with no option named.
 */
public final class StoreOption {
    public static final String HINT = "use --store sqlite (the default) or " + InvalidStoreAddress.FORM
            + "; percent-encode special characters of the user and password";

    private StoreOption() {
    }

    /**
     * A store whose host name did not resolve at start: a wrong address (exit 2, naming the host
     * and the option), where a database that is down is waited for.
     */
    public static CommandException unresolvable(UnresolvableStoreHost e, String option, String where, String address) {
        return CommandException.usage(option, BadValue.refusal(where, PostgresStore.redact(address),
                "its host '" + e.host() + "' does not resolve (no such name)"),
                "check the host name in " + where + " (a database that is only down is waited for; a name "
                        + "that does not resolve is refused at start)");
    }

    /**
     * A database that answered and refused the coordinator (a wrong password, no such database or
     * user): exit 1, as waiting will not cure it, naming the address's option and what to check.
     */
    public static CommandException refused(String message, String option, String where) {
        return new CommandException(ExitCodes.FAILED, "failed", message, "check the user, password and database "
                + "name in " + where + " (the database must exist: `createdb -O USER DATABASE` makes one) and start "
                + "again", option);
    }

    /**
     * The parsed address, or a usage error (exit 2) naming {@code option} ({@code --store}) in
     * {@code where}'s words ({@code --store}, or {@code store in config file F}), the address shown
     * without its password.
     */
    public static StoreAddress check(String address, String option, String where, String hint) {
        try {
            return StoreAddress.parse(address);
        } catch (InvalidStoreAddress e) {
            throw CommandException.usage(option, BadValue.refusal(where, e.address(), e.problem()),
                    Suggestions.hint(e.word(), e.choices(), hint));
        }
    }
}
