package dev.tinyrank;

/** Facts about a loaded model (tinyrank_model_info). */
public final class ModelInfo {
    public final String family;
    public final String name;
    public final String weightDtype;
    public final int numLayers;
    public final int hiddenSize;
    public final int numHeads;
    public final int intermediateSize;
    public final int vocabSize;
    public final int maxPosition;
    public final int defaultMaxLength;
    public final int numOperators;

    ModelInfo(String family, String name, String weightDtype, int[] ints) {
        this.family = family;
        this.name = name;
        this.weightDtype = weightDtype;
        this.numLayers = ints[0];
        this.hiddenSize = ints[1];
        this.numHeads = ints[2];
        this.intermediateSize = ints[3];
        this.vocabSize = ints[4];
        this.maxPosition = ints[5];
        this.defaultMaxLength = ints[6];
        this.numOperators = ints[7];
    }

    @Override
    public String toString() {
        return family + " '" + name + "' " + weightDtype + " layers=" + numLayers + " hidden="
                + hiddenSize + " heads=" + numHeads + " ffn=" + intermediateSize + " vocab="
                + vocabSize + " max_length=" + defaultMaxLength + "/" + maxPosition;
    }
}
