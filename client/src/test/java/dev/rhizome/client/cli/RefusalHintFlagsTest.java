package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Error;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every command a coordinator refusal's hint offers, of every code, names the --data-dir and
 * --coordinator in use: `lease_expired`'s claim and renew, `forbidden`'s `rhizome id`,
 * `limit_reached`'s unclaim were printed bare and, copied elsewhere, asked ~/.rhizome and the
 * default coordinator (another key, another network).
 */
class RefusalHintFlagsTest {
    private static final Pattern COMMAND = Pattern.compile("`(rhizome [^`]*)`");

    @Test
    void everyCommandInARefusalsHintCarriesTheDataDirectoryAndCoordinator() {
        FollowUp where = new FollowUp("http://h:7", Path.of("/tmp/my dir"));
        int commands = 0;
        for (Error.Code code : Error.Code.values()) {
            if (code == Error.Code.UNRECOGNIZED) {
                continue;
            }
            String hint = Coordinators.failure(new CoordinatorException(409, code, "refused: " + code), where).hint();
            Matcher m = COMMAND.matcher(hint);
            while (m.find()) {
                commands++;
                assertThat(m.group(1)).as(code + ": " + hint)
                        .endsWith(" --data-dir '/tmp/my dir' --coordinator http://h:7");
            }
        }
        // lease_expired (claim, renew), forbidden (id), unit_closed (claim), limit_reached (unclaim)
        assertThat(commands).isGreaterThanOrEqualTo(5);
        String unknown = Coordinators.failure(new CoordinatorException(404, Error.Code.NOT_FOUND,
                "unknown direction x"), where).hint();
        assertThat(unknown).contains("`rhizome direction list --data-dir '/tmp/my dir' --coordinator http://h:7`");
    }

    @Test
    void aWrongNetworkNamesTheCoordinatorToAsk() {
        String hint = Coordinators.failure(new CoordinatorException(403, Error.Code.WRONG_NETWORK, "wrong network"),
                new FollowUp("http://h:7", null)).hint();
        assertThat(hint).contains("`curl http://h:7/v1/stats`");
    }
}
