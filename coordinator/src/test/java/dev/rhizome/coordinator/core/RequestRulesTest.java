package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import java.util.Collections;
import org.junit.jupiter.api.Test;

class RequestRulesTest {
    @Test
    void acceptsLiteralAddressesAndHostNamesOnly() {
        assertThat(RequestRules.isHost("10.0.0.7")).isTrue();
        assertThat(RequestRules.isHost("::1")).isTrue();
        assertThat(RequestRules.isHost("node-3.example.org")).isTrue();
        assertThat(RequestRules.isHost("999.1.1.1")).isFalse();
        assertThat(RequestRules.isHost("evil.com/path")).isFalse();
        assertThat(RequestRules.isHost("a b")).isFalse();
        assertThat(RequestRules.isHost("")).isFalse();
        // what a peer cannot dial: not an address at all, the unspecified address (a peer dials
        // itself), multicast, broadcast
        assertThat(RequestRules.isHost("127.0.0.1:80")).isFalse();
        assertThat(RequestRules.isHost("1::2::3")).isFalse();
        assertThat(RequestRules.isHost("0.0.0.0")).isFalse();
        assertThat(RequestRules.isHost("::")).isFalse();
        assertThat(RequestRules.isHost("224.0.0.1")).isFalse();
        assertThat(RequestRules.isHost("255.255.255.255")).isFalse();
        assertThat(RequestRules.isHost("2001:db8::1")).isTrue();
        assertThat(RequestRules.isHost("::ffff:10.0.0.7")).isTrue();
    }

    @Test
    void refusesBadPortsAndTooManyOrMalformedCommits() {
        NodeAnnouncement ok = NodeAnnouncement.newBuilder().setHost("127.0.0.1").setPort(7000).build();
        RequestRules.announcement(ok);
        assertThatThrownBy(() -> RequestRules.announcement(ok.toBuilder().setPort(0).build())).hasMessageContaining("port");
        assertThatThrownBy(() -> RequestRules.announcement(ok.toBuilder().setPort(70000).build())).hasMessageContaining("port");
        assertThatThrownBy(() -> RequestRules.announcement(ok.toBuilder().addCommits("nothex").build()))
                .hasMessageContaining("commits[0]");
        assertThatThrownBy(() -> RequestRules.announcement(ok.toBuilder()
                .addAllCommits(Collections.nCopies(RequestRules.MAX_ANNOUNCED_COMMITS + 1, "a".repeat(40))).build()))
                .hasMessageContaining("at most");
    }

    @Test
    void anAnnouncedHostReachesNoNarrowerThanTheAddressTheRequestCameFrom() {
        NodeAnnouncement a = NodeAnnouncement.newBuilder().setPort(7000).build();
        String publicClient = "81.2.69.5";
        for (String narrower : new String[] {"127.0.0.1", "localhost", "10.0.0.1", "192.168.1.1", "169.254.169.254",
                "fe80::1", "fd00::1", "::ffff:127.0.0.1"}) {
            assertThatThrownBy(() -> RequestRules.announcement(a.toBuilder().setHost(narrower).build(), publicClient))
                    .as(narrower).isInstanceOf(Rejection.class)
                    .hasMessageContaining("'" + narrower + "'").hasMessageContaining("narrower than the public address");
        }
        RequestRules.announcement(a.toBuilder().setHost("81.2.69.6").build(), publicClient);
        RequestRules.announcement(a.toBuilder().setHost("node.example").build(), publicClient);
        // A node on the LAN may announce its LAN address, not this machine's loopback.
        RequestRules.announcement(a.toBuilder().setHost("192.168.1.7").build(), "10.0.0.9");
        RequestRules.announcement(a.toBuilder().setHost("81.2.69.6").build(), "10.0.0.9");
        assertThatThrownBy(() -> RequestRules.announcement(a.toBuilder().setHost("127.0.0.1").build(), "10.0.0.9"))
                .hasMessageContaining("loopback").hasMessageContaining("private address");
        // From this machine, anything: test networks and the demo run on loopback.
        RequestRules.announcement(a.toBuilder().setHost("127.0.0.1").build(), "127.0.0.1");
        RequestRules.announcement(a.toBuilder().setHost("::1").build(), "0:0:0:0::/64");
        // An IPv6 client is counted by its /64; a global one may not announce a unique local address.
        assertThatThrownBy(() -> RequestRules.announcement(a.toBuilder().setHost("fd00::1").build(), "2a00:1450:4001:81c::/64"))
                .hasMessageContaining("fd00::1");
        // No known origin (a call not over HTTP): the shape rules only.
        RequestRules.announcement(a.toBuilder().setHost("127.0.0.1").build(), "");
    }

    @Test
    void capsPaperBodies() {
        Paper paper = Paper.newBuilder().setTitle("t").setBodyMarkdown("x".repeat(RequestRules.MAX_PAPER_BODY_BYTES)).build();
        RequestRules.paper(paper);
        assertThatThrownBy(() -> RequestRules.paper(paper.toBuilder().setBodyMarkdown(paper.getBodyMarkdown() + "x").build()))
                .hasMessageContaining("body_markdown");
    }

    @Test
    void refusesTimestampsOutsideTheReplayWindow() {
        ReplayWindow.check("time_ms", 1_000_000 - 300_000, 1_000_000);
        assertThatThrownBy(() -> ReplayWindow.check("time_ms", 1_000_000 - 300_001, 1_000_000))
                .hasMessageContaining("time_ms");
        assertThatThrownBy(() -> ReplayWindow.check("time_ms", 1_000_000 + 300_001, 1_000_000))
                .hasMessageContaining("300 s");
    }
}
