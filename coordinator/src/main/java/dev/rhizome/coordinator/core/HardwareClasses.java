package dev.rhizome.coordinator.core;

/** Which nodes may run which seeds, by hardware class. */
public final class HardwareClasses {
    public static final String ANY = "any";

    private HardwareClasses() {
    }

    /** "any" (or nothing) fits every node; otherwise the seed's class is a prefix of the node's, e.g. "gpu:nvidia". */
    public static boolean fits(String required, String nodeClass) {
        return required.isEmpty() || ANY.equals(required) || nodeClass.startsWith(required);
    }
}
