"""Evaluation: pass@k and ranker top-1 accuracy on HumanEval/MBPP-format datasets."""
