package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One fetch dial in flight an address; those asked meanwhile wait for its outcome (round 35). */
class DialsInFlightTest {
    private final DialsInFlight dials = new DialsInFlight();
    private final List<String> told = new ArrayList<>();

    private DialsInFlight.Ticket ask(String address, String name) {
        DialsInFlight.Ticket ticket = dials.ticket(address, new DialsInFlight.Dial() {
            @Override
            public void go() {
                told.add(name + " dials");
            }

            @Override
            public void skip(String why) {
                told.add(name + " skipped: " + why);
            }
        });
        ticket.join();
        return ticket;
    }

    @Test
    void aSilentAddressIsDialledOnceAndThoseWaitingFailWithItUndialled() {
        DialsInFlight.Ticket first = ask("10.0.0.1:7000", "a");
        ask("10.0.0.1:7000", "b");
        ask("10.0.0.1:7000", "c");
        assertThat(told).containsExactly("a dials");
        assertThat(dials.waiters()).isEqualTo(2);

        first.ended(true, "proved no key: no hello within its turn");
        assertThat(told).containsExactly("a dials",
                "b skipped: not dialled: the dial to this address just before it proved no key: no hello within its turn",
                "c skipped: not dialled: the dial to this address just before it proved no key: no hello within its turn");
        assertThat(dials.addresses()).as("nothing held once the dial ended").isZero();

        ask("10.0.0.1:7000", "d");
        assertThat(told).as("a later dial is not refused for an outcome past").endsWith("d dials");
    }

    @Test
    void anAddressThatAnsweredLetsEveryWaiterDialAtOnce() {
        DialsInFlight.Ticket first = ask("10.0.0.1:7000", "a");
        DialsInFlight.Ticket b = ask("10.0.0.1:7000", "b");
        ask("10.0.0.1:7000", "c");
        first.ended(false, "proved its key");
        assertThat(told).containsExactly("a dials", "b dials", "c dials");
        assertThat(dials.addresses()).isZero();

        // b, released, ends after a new dial took the address: the new one's waiters still wait on it.
        DialsInFlight.Ticket d = ask("10.0.0.1:7000", "d");
        ask("10.0.0.1:7000", "e");
        b.ended(true, "closed the connection before proving its key");
        first.ended(true, "told twice");
        assertThat(told).containsExactly("a dials", "b dials", "c dials", "d dials");
        d.ended(false, "proved its key");
        assertThat(told).endsWith("e dials");
    }

    @Test
    void aDialGivenUpPassesItsTurnAndAWaiterGivenUpLeavesTheQueue() {
        DialsInFlight.Ticket first = ask("10.0.0.1:7000", "a");
        DialsInFlight.Ticket b = ask("10.0.0.1:7000", "b");
        ask("10.0.0.1:7000", "c");
        b.withdraw();
        assertThat(dials.waiters()).isEqualTo(1);
        first.withdraw();  // its fetch cancelled: no outcome at the address, so the next dials
        assertThat(told).containsExactly("a dials", "c dials");
        b.ended(true, "never dialled");
        assertThat(dials.addresses()).isZero();
    }

    @Test
    void addressesAreGatedApart() {
        ask("10.0.0.1:7000", "a");
        ask("10.0.0.1:7001", "b");
        ask("10.0.0.2:7000", "c");
        assertThat(told).containsExactly("a dials", "b dials", "c dials");
        assertThat(dials.addresses()).isEqualTo(3);
        assertThat(dials.waiters()).isZero();
    }
}
