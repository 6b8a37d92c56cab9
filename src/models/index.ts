/** The classifiers of inertia: logreg, mlp and cnn, seeded and outputting logits. */
export * from './buildModel.js';
