"""A seeded mutation fuzzer for `catalog.inspect` over ONNX, TFLite, TFJS graph models and frozen
TensorFlow GraphDefs (.pb).

Every case is made from a small valid model built at run time (`seeds`) and one mutation
(`mutate_bytes`, `mutate_onnx`, `mutate_tflite`, `mutate_tfjs`, `mutate_pb`), chosen by
`generate` from the run's seed and the case's index alone, so any case can be made again from
those two numbers.
`runner` inspects each case in a forked worker under a memory cap and a time limit, and
`outcome` classifies what happened; `minimise` shrinks a failing case, `report` counts and
saves them, `campaign` ties it together and `python -m tests.fuzz` is its command.
"""
