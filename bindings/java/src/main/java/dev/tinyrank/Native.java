package dev.tinyrank;

import java.nio.ByteBuffer;

/**
 * The native methods of the binding, in one place (implemented in
 * bindings/java/jni/tinyrank_jni.c). Handles are C pointers held as longs; only
 * {@link Model} and {@link Session} touch them, under their own locks.
 */
final class Native {
    private Native() {}

    static {
        // -Dtinyrank.library=/abs/path/libtinyrank_jni.so wins (tests, desktop apps);
        // otherwise the platform's search path (an Android app's jniLibs/<abi>/).
        String path = System.getProperty("tinyrank.library");
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("tinyrank_jni");
        }
    }

    static native String version();

    static native String statusName(int status);

    /** Address of a direct buffer's first byte (for the 64-byte alignment). */
    static native long address(ByteBuffer direct);

    /** Maps the file read-only (no copy) and loads it; throws TinyrankException. */
    static native long modelOpenFile(String path);

    /** Loads the bytes [position, limit) of a direct buffer in place; throws. */
    static native long modelOpenBuffer(ByteBuffer direct, int position, int length);

    static native void modelClose(long model);

    /** family, name, weightDtype as strings; the numbers in {@code ints}. */
    static native String[] modelInfo(long model, int[] ints);

    static native long arenaSize(long model, int[] params);

    static native long sessionOpen(long model, int[] params);

    static native void sessionClose(long session);

    static native long sessionArenaBytes(long session);

    /** Scores the passages; texts are UTF-8, passage i is text[offsets[i], offsets[i+1]). */
    static native void score(long session, byte[] query, byte[] passages, int[] offsets,
            float[] scores);

    /**
     * The best min(topK, n) passages, best first (ties: lower index first), as
     * tinyrank_rerank orders them; returns how many were written.
     */
    static native int rerank(long session, byte[] query, byte[] passages, int[] offsets, int topK,
            int[] outIndex, float[] outScore);

    /** Token ids of one pair after the template and truncation. */
    static native int[] tokenizePair(long session, byte[] query, byte[] passage);
}
