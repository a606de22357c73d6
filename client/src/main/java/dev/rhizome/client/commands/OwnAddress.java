package dev.rhizome.client.commands;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Whether a {@code --host} a volunteer gave is an address of this machine, told before the node
 * starts. The peer server's bind found out only after the sandbox's trial job, and said it badly:
 * a name that does not resolve came out as "null", named {@code --data-dir}; an address of
 * another machine as a failure with no option, advising 0.0.0.0, which {@code --host} refuses.
 */
final class OwnAddress {
    private OwnAddress() {
    }

    /** Why peers could not be served at {@code host} from here, or empty when it is this machine's. */
    static Optional<String> problem(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress address;
        try {
            address = InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            return Optional.of("--host " + host + " does not resolve to an address");
        }
        try {
            if (address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null) {
                return Optional.empty();
            }
        } catch (SocketException e) {
            return Optional.empty(); // the interfaces cannot be listed: the bind will say
        }
        return Optional.of("--host " + host + (h.equals(address.getHostAddress()) ? "" : " (" + address.getHostAddress()
                + ")") + " is not an address of this machine, so the node cannot listen on it for peers");
    }
}
