package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Inbound handshakes cost this node a verification and a signature while a dialler replays one
 * hello for free: a flood from one address gets only its share of the budget, and handshakes from
 * other addresses still get their turns; an address alone (a NAT, a test network on loopback) gets
 * the whole budget. Virtual time.
 */
class HandshakeTurnsTest {
    long now = 1_000_000;
    final HandshakeTurns<String> turns = new HandshakeTurns<>(now);

    @Test
    void aFloodFromOneAddressDoesNotStopHandshakesFromAnother() {
        Map<String, Long> offeredAt = new HashMap<>();
        List<Long> honestWaits = new ArrayList<>();
        int floodTaken = 0;
        int honestOffered = 0;
        for (int step = 0; step < 1_000; step++) {  // 10 s, 10 ms a step
            now += 10;
            for (int i = 0; i < 100; i++) {  // 10,000 hellos a second from the rogue: most refused at once
                turns.offer("203.0.113.66", "flood");
            }
            if (step % 10 == 0) {  // 10 a second from honest nodes at addresses of their own
                String honest = "honest-" + step;
                assertThat(turns.offer("198.51.100." + (step % 200), honest)).as("an honest hello waits its turn").isNull();
                offeredAt.put(honest, now);
                honestOffered++;
            }
            for (String taken : turns.take(now, h -> true)) {
                if (taken.equals("flood")) {
                    floodTaken++;
                } else {
                    honestWaits.add(now - offeredAt.get(taken));
                }
            }
        }
        assertThat(honestWaits).as("every honest handshake had its turn").hasSize(honestOffered);
        assertThat(honestWaits).as("each waited one turn of the rogue's at most").allMatch(w -> w <= 60);
        assertThat(floodTaken).as("the flood's handshakes: the budget less the honest ones, at most")
                .isLessThanOrEqualTo(HandshakeTurns.PER_SECOND * 11 - honestOffered);
    }

    @Test
    void anAddressAloneTakesTheWholeBudgetAndHelloWhoseDiallerHungUpCostNothing() {
        int taken = 0;
        for (int step = 0; step < 200; step++) {  // 2 s: as many live hellos as the budget, and thrice as many hung up
            now += 10;
            for (int i = 0; i < 4; i++) {
                turns.offer("127.0.0.1", i == 0 && step % 2 == 0 ? "live" : "gone");
            }
            taken += turns.take(now, h -> h.equals("live")).size();
        }
        assertThat(taken).as("every live one, none held back for those that hung up").isEqualTo(100);
    }

    @Test
    void roguesOnManyAddressesFillingTheQueueDoNotShutOutANewcomer() {
        int rogues = HandshakeTurns.MAX_WAITING / HandshakeTurns.MAX_WAITING_PER_ADDRESS;
        for (int r = 0; r < rogues; r++) {
            for (int i = 0; i < HandshakeTurns.MAX_WAITING_PER_ADDRESS; i++) {
                assertThat(turns.offer("2001:db8:" + r + "::/64", "rogue")).isNull();
            }
        }
        assertThat(turns.offer("2001:db8:ffff::/64", "newcomer")).as("a rogue's newest hello makes room").isEqualTo("rogue");
        assertThat(turns.waiting()).isEqualTo(HandshakeTurns.MAX_WAITING);
        assertThat(turns.offer("2001:db8:0::/64", "rogue")).as("an address at its share takes no more").isEqualTo("rogue");
        List<String> taken = new ArrayList<>();
        for (int step = 0; step < 2 && !taken.contains("newcomer"); step++) {
            now += 1_000;
            taken.addAll(turns.take(now, h -> true));
        }
        assertThat(taken).contains("newcomer");
    }

    @Test
    void whatWaitsIsBounded() {
        int accepted = 0;
        for (int i = 0; i < 500; i++) {
            accepted += turns.offer("203.0.113.66", "flood") == null ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(HandshakeTurns.MAX_WAITING_PER_ADDRESS);
        assertThat(turns.nextTurnMs(now)).isEqualTo(now);
        turns.take(now, h -> true);
        assertThat(turns.waiting()).isEqualTo(HandshakeTurns.MAX_WAITING_PER_ADDRESS - HandshakeTurns.PER_SECOND);
        assertThat(turns.nextTurnMs(now)).as("the next token").isBetween(now + 1, now + 1_000 / HandshakeTurns.PER_SECOND);
    }

    @Test
    void aRogueOnAThousandAddressesOfOneNetworkCannotShutOutNewcomersOfOthers() {
        // One hello from each of 1,024 addresses in 64 /24s of 10.1/16: the queue full, one each.
        for (int i = 0; i < HandshakeTurns.MAX_WAITING; i++) {
            assertThat(turns.offer("10.1." + (i / 16) + "." + (i % 16 + 1), "rogue")).isNull();
        }
        // Before, the busiest address had one waiting, as a newcomer would: the newcomer was refused.
        assertThat(turns.offer("192.0.2.7", "newcomer")).as("a rogue's hello makes room").isEqualTo("rogue");
        assertThat(turns.offer("198.51.100.9", "another")).isEqualTo("rogue");
        assertThat(turns.waiting()).isEqualTo(HandshakeTurns.MAX_WAITING);

        List<String> taken = turns.take(now, h -> true);
        assertThat(taken.subList(0, 3)).as("one turn a network").containsExactlyInAnyOrder("rogue", "newcomer", "another");
    }

    @Test
    void networksTakeTurnsBeforeAddressesSoHellosAfterARoguesHundredsComeFirstRound() {
        for (int i = 0; i < 500; i++) {
            assertThat(turns.offer("10.1." + (i / 100) + "." + (i % 100 + 1), "rogue")).isNull();
        }
        for (String honest : List.of("192.0.2.7", "198.51.100.9", "203.0.113.5")) {
            assertThat(turns.offer(honest, honest)).isNull();
        }
        // Before, a turn per address: the three waited behind 500 (10 s at 50 a second).
        List<String> taken = turns.take(now, h -> true);
        assertThat(taken.subList(0, 4)).contains("192.0.2.7", "198.51.100.9", "203.0.113.5");
        assertThat(taken).hasSize(HandshakeTurns.PER_SECOND);
    }

    @Test
    void anHonestAddressInsideTheRoguesNetworkWaitsOneTurnPerAddressOfIt() {
        for (int a = 0; a < 10; a++) {
            for (int i = 0; i < HandshakeTurns.MAX_WAITING_PER_ADDRESS; i++) {
                assertThat(turns.offer("10.1." + a + ".1", "rogue")).isNull();
            }
        }
        assertThat(turns.offer("10.1.200.1", "honest")).isNull();
        List<String> taken = turns.take(now, h -> true);
        assertThat(taken.indexOf("honest")).as("within one round of its network's 11 addresses").isBetween(0, 10);
    }

    @Test
    void roguesFillingTheQueueFromAddressesOfOneNetworkDoNotShutOutAnHonestAddressOfIt() {
        // 16 rogue addresses of 10.1/16, each at its share: the queue full, and no network busier than 10.1/16.
        int rogues = HandshakeTurns.MAX_WAITING / HandshakeTurns.MAX_WAITING_PER_ADDRESS;
        for (int r = 0; r < rogues; r++) {
            for (int i = 0; i < HandshakeTurns.MAX_WAITING_PER_ADDRESS; i++) {
                assertThat(turns.offer("10.1." + r + ".1", "rogue")).isNull();
            }
        }
        // Before, the newcomer's network was the busiest: the honest hello was refused while the queue stayed full.
        assertThat(turns.offer("10.1.200.1", "honest")).as("a rogue's newest hello makes room").isEqualTo("rogue");
        assertThat(turns.waiting()).isEqualTo(HandshakeTurns.MAX_WAITING);
        assertThat(turns.offer("10.1.0.1", "rogue")).as("a rogue address with its share takes no room from its peers")
                .isEqualTo("rogue");
        List<String> taken = turns.take(now, h -> true);
        assertThat(taken.indexOf("honest")).as("within one round of its network's 17 addresses").isBetween(0, rogues);
    }
}
