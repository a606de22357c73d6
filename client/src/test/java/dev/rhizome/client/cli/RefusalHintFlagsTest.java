package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ProposerThrottle;
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
        // lease_expired (claim), forbidden (id), unit_closed (claim); renew and unclaim need a unit id no
        // refusal knows, so they are named in words, not as `renew --unit U` a shell takes as written
        assertThat(commands).isGreaterThanOrEqualTo(3);
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
    /**
     * The coordinator's own throttle refusal (its real wording, from ProposerThrottle) gets the hint
     * for a wait, not the one for a key that may never act: an agent retrying a crashed experiment
     * was told it needed an operator's --data-dir.
     */
    @Test
    void aThrottledProposerIsToldToFixItsCommitAndWaitNotToFindAnOperator() {
        long now = 1_000_000_000L;
        ProposerThrottle.Record crashes = ProposerThrottle.Record.empty().onCrash(now).onCrash(now).onCrash(now);
        String refusal = ProposerThrottle.refusal(crashes, now + 1_000).orElseThrow();
        FollowUp where = new FollowUp("http://h:7", Path.of("/tmp/my dir"));
        var failure = Coordinators.failure(new CoordinatorException(403, Error.Code.FORBIDDEN, refusal), where);
        assertThat(failure.error()).isEqualTo("forbidden");
        assertThat(failure.hint())
                .contains("`rhizome log --direction D --json --data-dir '/tmp/my dir' --coordinator http://h:7`")
                .contains("submit again after that time")
                .doesNotContain("operators");
        // the time the message gives, as a key (as a claim with no work has it): the cool-down less the second gone
        assertThat(failure.keys().get("retry_after_s").getAsLong())
                .isEqualTo(ProposerThrottle.COOL_DOWN.toSeconds() - 1);
        var notThrottled = Coordinators.failure(new CoordinatorException(403, Error.Code.FORBIDDEN, "not an operator"), where);
        assertThat(notThrottled.hint()).contains("operators");
        assertThat(notThrottled.keys().has("retry_after_s")).isFalse();
    }
}
