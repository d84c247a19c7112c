"""Text classification with an Embedding (padding_idx), masked mean pooling and a linear head."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(17)
vocab_size, embed_dim, num_class, max_len = 30, 8, 2, 7
lengths = rng.integers(2, max_len + 1, size=64)
tokens = np.zeros((64, max_len), dtype=np.int64)
for i, n in enumerate(lengths):
    tokens[i, :n] = rng.integers(1, vocab_size, size=n)
labels = (tokens[:, 0] % 2 == 0).astype(np.int64)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text):
        embedded = self.embedding(text)
        mask = (text != 0).unsqueeze(-1).float()
        summed = (embedded * mask).sum(dim=1)
        counts = mask.sum(dim=1).clamp(min=1)
        return self.fc(summed / counts)


model = TextClassificationModel(vocab_size, embed_dim, num_class)
print(model.embedding.weight.shape, model.embedding.padding_idx, model.fc.bias.abs().sum().item())
g = np.random.default_rng(170)
emb = g.normal(scale=0.5, size=(vocab_size, embed_dim)).astype(np.float32)
emb[0] = 0.0
model.embedding.weight.data.copy_(torch.from_numpy(emb))
model.fc.weight.data.copy_(
    torch.from_numpy(g.normal(scale=0.5, size=(num_class, embed_dim)).astype(np.float32))
)

text = torch.from_numpy(tokens)
target = torch.from_numpy(labels)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
for epoch in range(1, 4):
    model.train()
    total_acc, total_count = 0, 0
    for idx in range(0, 64, 16):
        optimizer.zero_grad()
        predicted_label = model(text[idx : idx + 16])
        loss = criterion(predicted_label, target[idx : idx + 16])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == target[idx : idx + 16]).sum().item()
        total_count += target[idx : idx + 16].size(0)
    scheduler.step()
    print(
        f"| epoch {epoch:3d} | accuracy {total_acc / total_count:8.3f} | loss {loss.item():.6f} |"
    )
print(
    model.embedding.weight[0].abs().sum().item(), model.embedding.weight.grad[0].abs().sum().item()
)
with torch.no_grad():
    out = F.softmax(model(text[:3]), dim=1)
    print(out)
    print(out.sum(dim=1))
one_hot = F.one_hot(target[:5], num_classes=num_class)
print(one_hot, one_hot.dtype == torch.int64)
