//! A tiny network and its recorded data, shared by the optimizer tests that replay PyTorch's steps
//! (`scripts/record_prodigy.py`, `scripts/record_schedulefree.py`): Linear 4→3, tanh, Linear 3→2,
//! MSE, two batches in turn, PyTorch's weight[out][in] layout in the recordings.

#![allow(dead_code)]

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::prelude::*;
use lrfind_burn::optim::ModuleStep;
use serde_json::Value;

#[derive(Module, Debug)]
pub struct Net {
    pub l1: Linear,
    pub l2: Linear,
}

impl Net {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.l2
            .forward(burn::tensor::activation::tanh(self.l1.forward(x)))
    }
}

pub fn matrix(v: &Value) -> Vec<Vec<f32>> {
    v.as_array().unwrap().iter().map(vector).collect()
}

pub fn vector(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// PyTorch's weight[out][in] as burn's [in, out].
pub fn linear(weight: &Value, bias: &Value, device: &Device) -> Linear {
    let w = matrix(weight);
    let (outs, ins) = (w.len(), w[0].len());
    let data: Vec<f32> = (0..ins)
        .flat_map(|i| w.iter().map(move |row| row[i]))
        .collect();
    let b = vector(bias);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(data, [ins, outs]),
            device,
        )),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(b.clone(), [b.len()]),
            device,
        ))),
    }
}

/// burn's [in, out] weight and the bias, in PyTorch's order.
pub fn params(net: &Net) -> Vec<f32> {
    let mut out = Vec::new();
    for l in [&net.l1, &net.l2] {
        let [ins, outs] = l.weight.dims();
        let w: Vec<f32> = l.weight.val().into_data().try_to_vec().unwrap();
        out.extend(
            (0..outs)
                .flat_map(|o| (0..ins).map(move |i| (o, i)))
                .map(|(o, i)| w[i * outs + o]),
        );
        out.extend(
            l.bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap(),
        );
    }
    out
}

pub fn recorded(step: &Value) -> Vec<f32> {
    ["l1_weight", "l1_bias", "l2_weight", "l2_bias"]
        .iter()
        .flat_map(|k| match step[k].as_array().unwrap()[0].is_array() {
            true => matrix(&step[k]).concat(),
            false => vector(&step[k]),
        })
        .collect()
}

pub fn batch(fixture: &Value, i: usize, device: &Device) -> (Tensor<2>, Tensor<2>) {
    let b = &fixture["batches"][i % 2];
    let t = |v: &Value| {
        let m = matrix(v);
        let (r, c) = (m.len(), m[0].len());
        Tensor::from_data(TensorData::new(m.concat(), [r, c]), device)
    };
    (t(&b[0]), t(&b[1]))
}

pub fn step(
    net: Net,
    optimizer: &mut impl ModuleStep,
    lr: f64,
    (x, y): (Tensor<2>, Tensor<2>),
) -> Net {
    let loss = (net.forward(x) - y).powi_scalar(2).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    optimizer.step(lr, net, grads)
}

/// The network of a recording's `init`.
pub fn initial(fixture: &Value, device: &Device) -> Net {
    let init = &fixture["init"];
    Net {
        l1: linear(&init["l1_weight"], &init["l1_bias"], device),
        l2: linear(&init["l2_weight"], &init["l2_bias"], device),
    }
}
