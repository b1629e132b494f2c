"""The classic PyTorch CIFAR-10 tutorial ("Training a classifier", pytorch.org/tutorials), as a
user would copy it, pointed at an image folder instead of the CIFAR-10 download:

  - torchvision.datasets.ImageFolder instead of torchvision.datasets.CIFAR10 (same
    transforms.ToTensor + Normalize((0.5,)*3, (0.5,)*3); a Resize((32, 32)) in front, a no-op
    on CIFAR-10, because the tutorial's network only takes 32 px images);
  - the test set is TEST (a folder of the same classes), the training set all of TRAIN
    (the tutorial holds nothing out for validation);
  - the image-showing cells (matplotlib) are left out, and the last line also prints the
    accuracy to two decimals for benchmarks/small_images.py.

Everything else is the tutorial's: DataLoader batch 4, shuffle, num_workers=2; its LeNet;
CrossEntropyLoss; SGD lr 0.001 momentum 0.9; 2 epochs; `running_loss += loss.item()` every
step; the state dict saved with torch.save; the test loop at batch 4. PyTorch's default
thread count, as a user gets it.

    python benchmarks/tutorial_script.py TRAIN TEST [--save PATH] [--epochs 2]
"""

import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("train")
parser.add_argument("test")
parser.add_argument("--save", default="./cifar_net.pth")
# not in the tutorial (it loops twice): how many times to loop, to see the recipe at its plateau
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()

transform = transforms.Compose(
    [
        transforms.Resize((32, 32)),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ]
)

batch_size = 4

trainset = torchvision.datasets.ImageFolder(root=args.train, transform=transform)
trainloader = torch.utils.data.DataLoader(
    trainset, batch_size=batch_size, shuffle=True, num_workers=2
)

testset = torchvision.datasets.ImageFolder(root=args.test, transform=transform)
testloader = torch.utils.data.DataLoader(
    testset, batch_size=batch_size, shuffle=False, num_workers=2
)

classes = trainset.classes


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, len(classes))

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

for epoch in range(args.epochs):  # loop over the dataset multiple times
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % 2000 == 1999:  # print every 2000 mini-batches
            print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 2000:.3f}")
            running_loss = 0.0

print("Finished Training")

torch.save(net.state_dict(), args.save)

correct = 0
total = 0
# since we're not training, we don't need to calculate the gradients for our outputs
with torch.no_grad():
    for data in testloader:
        images, labels = data
        # calculate outputs by running images through the network
        outputs = net(images)
        # the class with the highest energy is what we choose as prediction
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")
print(f"test accuracy: {correct / total:.4f}")
