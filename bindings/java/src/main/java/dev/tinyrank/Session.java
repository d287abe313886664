package dev.tinyrank;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A scoring session on one {@link Model}: owns a native arena of
 * {@link #arenaBytes()} bytes (and a thread pool when threads &gt; 1), freed by
 * {@link #close()}. Not meant for two threads at once: its methods lock the session, so
 * such use is serialized rather than unsafe.
 *
 * <p>Texts go to the runtime as standard UTF-8 ({@code String.getBytes(UTF_8)}; JNI's
 * "modified UTF-8" would encode NUL and characters outside the BMP differently from the
 * tokenizer's expectations). An unpaired surrogate becomes '?' as in any Java encoding.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private long handle;

    Session(Model model, long handle) {
        this.model = model;
        this.handle = handle;
    }

    /** One scored passage: its position in the input and its score. */
    public static final class Result {
        public final int index;
        public final float score;

        Result(int index, float score) {
            this.index = index;
            this.score = score;
        }

        @Override
        public String toString() {
            return "#" + index + " " + score;
        }
    }

    /** The arena bytes this session uses (tinyrank_arena_size of its options). */
    public synchronized long arenaBytes() {
        return Native.sessionArenaBytes(live());
    }

    /** Scores every passage against the query; scores[i] belongs to passages[i]. */
    public float[] score(String query, String... passages) {
        return score(query, List.of(passages));
    }

    public synchronized float[] score(String query, List<String> passages) {
        Packed p = new Packed(passages);
        float[] scores = new float[passages.size()];
        Native.score(live(), utf8(query), p.bytes, p.offsets, scores);
        return scores;
    }

    /** The best min(topK, n) passages, best first; equal scores keep input order. */
    public synchronized Result[] rerank(String query, List<String> passages, int topK) {
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        Packed p = new Packed(passages);
        int cap = Math.min(topK, passages.size());
        int[] index = new int[cap];
        float[] score = new float[cap];
        int n = Native.rerank(live(), utf8(query), p.bytes, p.offsets, cap, index, score);
        Result[] out = new Result[n];
        for (int i = 0; i < n; i++) {
            out[i] = new Result(index[i], score[i]);
        }
        return out;
    }

    /** Token ids the model sees for one pair (template and truncation applied). */
    public synchronized int[] tokenizePair(String query, String passage) {
        return Native.tokenizePair(live(), utf8(query), utf8(passage));
    }

    /** Frees the arena (and stops the session's threads). Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (handle == 0) {
                return;
            }
            Native.sessionClose(handle);
            handle = 0;
        }
        model.forget(this);
    }

    private long live() {
        if (handle == 0) {
            throw new IllegalStateException("the session is closed");
        }
        model.live(); // a session never outlives its model: the model's close() closes it
        return handle;
    }

    private static byte[] utf8(String s) {
        if (s == null) {
            throw new NullPointerException("text is null");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** All passages in one UTF-8 array: one JNI crossing instead of one per passage. */
    private static final class Packed {
        final byte[] bytes;
        final int[] offsets;

        Packed(List<String> passages) {
            byte[][] each = new byte[passages.size()][];
            long total = 0;
            for (int i = 0; i < each.length; i++) {
                each[i] = utf8(passages.get(i));
                total += each[i].length;
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("passages too large: " + total + " bytes");
            }
            bytes = new byte[(int) total];
            offsets = new int[each.length + 1];
            int at = 0;
            for (int i = 0; i < each.length; i++) {
                offsets[i] = at;
                System.arraycopy(each[i], 0, bytes, at, each[i].length);
                at += each[i].length;
            }
            offsets[each.length] = at;
        }
    }
}
