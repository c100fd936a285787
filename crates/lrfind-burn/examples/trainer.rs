//! lrfind's trainer in your own burn program: one-cycle from the found rate, a re-find every 3
//! epochs, held-out accuracy after each epoch — on your model, your loss, your batches.
//!
//! Run: `cargo run --release -p lrfind-burn --example trainer`

use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use lrfind::schedule::{OneCycleConfig, ScheduleConfig};
use lrfind::{HeldOutScore, Metric};
use lrfind_burn::{seeded, Batches, BurnProbe};
use lrfind_train::{Event, History};
use lrfind_train::{LrChoice, RefindPolicy, Trainer};

/// Your model.
#[derive(Module, Debug)]
struct Net {
    hidden: Linear,
    out: Linear,
}

impl Net {
    fn new(device: &Device) -> Net {
        Net {
            hidden: LinearConfig::new(64, 128).init(device),
            out: LinearConfig::new(128, 10).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out
            .forward(Relu::new().forward(self.hidden.forward(x)))
    }
}

type Batch = (Tensor<2>, Tensor<1, Int>);

/// Your batches: here the embedded digits, 64 rows each.
fn batches(rows: &lrfind_data::Classification, size: usize, device: &Device) -> Vec<Batch> {
    lrfind_data::batch_rows(rows.len(), size, 0, false)
        .iter()
        .map(|r| {
            let x = lrfind_data::gather(&rows.features, rows.dim, r);
            let y = lrfind_data::gather(&rows.labels, 1, r);
            (
                Tensor::from_data(TensorData::new(x, [r.len(), rows.dim]), device),
                Tensor::from_data(TensorData::new(y, [r.len()]), device),
            )
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let (train_rows, valid_rows) = lrfind_data::digits::split();
    let train = batches(&train_rows, 64, &device);
    let valid = batches(&valid_rows, 256, &device);
    let steps_per_epoch = train.len();
    let model = seeded(0, &device, Net::new);
    let optimizer = burn::optim::AdamWConfig::new()
        .with_weight_decay(0.01)
        .init();
    let ce = CrossEntropyLossConfig::new().init(&device);
    let loss = |m: &Net, (x, y): &Batch| ce.forward(m.forward(x.clone()), y.clone());
    // Held-out loss and accuracy after each epoch.
    let score = |m: &Net| {
        let (mut loss, mut hits, mut n) = (0.0, 0, 0);
        for (x, y) in &valid {
            let logits = m.forward(x.clone());
            let rows = y.dims()[0];
            loss += ce.forward(logits.clone(), y.clone()).into_scalar::<f32>() as f64 * rows as f64;
            hits += logits
                .argmax(1)
                .flatten::<1>(0, 1)
                .equal(y.clone())
                .int()
                .sum()
                .into_scalar::<i64>();
            n += rows;
        }
        HeldOutScore {
            loss: loss / n as f64,
            metric: Metric::Accuracy(hits as f64 / n as f64),
        }
    };

    // The trainer: a range test first, one-cycle from its rate, a re-find every 3 epochs.
    let schedule = ScheduleConfig::OneCycle(OneCycleConfig::default());
    let mut trainer = Trainer::new(9, LrChoice::Auto, schedule);
    trainer.refind = RefindPolicy::Every(3);
    let mut probe = BurnProbe::new(model, optimizer, Batches::from_batches(train), loss);
    let mut report = |event: Event<'_>| {
        match event {
            Event::RateTaken { epoch, used, .. } => println!("epoch {epoch}: range test → {used}"),
            Event::Epoch(row) => println!("{}", History::table_row(row)),
            _ => {}
        }
        Ok(())
    };
    let history =
        lrfind_burn::trainer::fit(&trainer, &mut probe, steps_per_epoch, score, &mut report)
            .completed()?;
    let last = history.epochs.last().expect("9 epochs");
    println!(
        "held-out loss {:.4}, accuracy {}",
        last.val_loss, last.metric
    );
    assert!(
        last.metric.value() > 0.9,
        "one-cycle with re-finds trains digits past 90%"
    );
    Ok(())
}
