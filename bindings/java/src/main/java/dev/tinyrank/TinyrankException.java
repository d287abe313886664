package dev.tinyrank;

/**
 * A tinyrank call failed. Carries the runtime's status code, its name (for example
 * {@code TINYRANK_ERR_CORRUPT_MODEL}) and the runtime's message, so that an app can log
 * exactly what the C library said.
 */
public final class TinyrankException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String statusName;

    /** Called by the JNI glue (bindings/java/jni/tinyrank_jni.c): keep this signature. */
    public TinyrankException(int status, String statusName, String detail) {
        super(detail == null || detail.isEmpty() ? statusName : statusName + ": " + detail);
        this.status = status;
        this.statusName = statusName;
    }

    /** The numeric status, one of the TINYRANK_ERR_* codes of tinyrank.h. */
    public int status() {
        return status;
    }

    /** The status as named in tinyrank.h, for example {@code TINYRANK_ERR_ALIGNMENT}. */
    public String statusName() {
        return statusName;
    }
}
