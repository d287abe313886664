package dev.tinyrank;

/** Parameters of a session (tinyrank_session_params); 0 means "the model's default". */
public final class SessionOptions {
    /** How a pair longer than maxLength is shortened (TINYRANK_TRUNCATE_*). */
    public enum Truncation { MODEL_DEFAULT, ONLY_SECOND, LONGEST_FIRST }

    /** What a score is (TINYRANK_SCORE_*): the model's raw score or its sigmoid. */
    public enum Score { MODEL_DEFAULT, RAW, SIGMOID }

    private int maxLength;
    private int maxBatch = 1;
    private int threads = 1;
    private Truncation truncation = Truncation.MODEL_DEFAULT;
    private Score score = Score.MODEL_DEFAULT;

    /** Tokens per (query, passage) pair; 0 = the length stored in the model. */
    public SessionOptions maxLength(int tokens) {
        this.maxLength = tokens;
        return this;
    }

    /** Pairs run through the graph together (>= 1): more uses more arena, fewer calls. */
    public SessionOptions maxBatch(int pairs) {
        this.maxBatch = pairs;
        return this;
    }

    /** Threads counting the caller's: above 1 the session owns a pool of threads - 1 workers. */
    public SessionOptions threads(int n) {
        this.threads = n;
        return this;
    }

    public SessionOptions truncation(Truncation t) {
        this.truncation = t;
        return this;
    }

    public SessionOptions score(Score s) {
        this.score = s;
        return this;
    }

    /** Layout read by tinyrank_jni.c: maxLength, maxBatch, truncation, score, threads. */
    int[] toArray() {
        return new int[] {maxLength, maxBatch, truncation.ordinal(), score.ordinal(), threads};
    }
}
