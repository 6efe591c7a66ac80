"""A small ONNX text classifier built from arrays, for tests and benchmarks of the ONNX tier
(``hudong.text.onnx_model``): a real ONNX graph (embedding lookup, masked sum over the tokens, bias → ``logits``)
and a real BERT-style word-level ``tokenizers`` tokenizer, in the directory layout of a Hugging Face export.
Needs ``onnx`` (the test extra) besides the ``onnx`` extra.

    bag_model(directory, vocab, weights, bias, {0: "negative", 1: "positive"})   # weights: len(vocab) × labels
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def bag_model(directory: str | Path, vocab: Sequence[str], weights: np.ndarray, bias: np.ndarray,
              id2label: dict[int, str], **config: Any) -> Path:  # fmt: skip
    """Write model.onnx (input_ids, attention_mask → logits = Σ unmasked rows of ``weights`` + ``bias``),
    tokenizer.json (lowercased, CJK characters and punctuation split, [CLS] … [SEP]; ``vocab`` must start with
    [PAD], [UNK], [CLS], [SEP]) and config.json (``id2label`` and ``config``) into ``directory``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    if list(vocab[:4]) != ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]:
        raise ValueError("vocab must start with [PAD], [UNK], [CLS], [SEP]")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["tok"]),  # batch × length × labels
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tok", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("Add", ["summed", "bias"], ["logits"]),
    ]
    inits = [numpy_helper.from_array(np.asarray(weights, dtype=np.float32), "emb"),
             numpy_helper.from_array(np.asarray(bias, dtype=np.float32), "bias"),
             numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]  # fmt: skip
    graph = helper.make_graph(
        nodes, "bag", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["n", "len"]),
                       helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["n", "len"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", np.shape(weights)[1]])], inits)  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by older onnxruntime releases too
    onnx.checker.check_model(model)
    onnx.save(model, str(d / "model.onnx"))
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2),
                                                                                               ("[SEP]", 3)])  # fmt: skip
    tok.save(str(d / "tokenizer.json"))
    (d / "config.json").write_text(json.dumps({"id2label": {str(i): v for i, v in id2label.items()}, **config}))
    return d
